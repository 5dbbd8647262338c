import cProfile, pstats, os, io
PAGE = os.environ["PROF_PAGE"]
code = compile(open(PAGE).read(), PAGE, "exec")
pr = cProfile.Profile(); pr.enable()
try:
    exec(code, {"__name__": "__main__", "__file__": PAGE})
finally:
    pr.disable(); pr.dump_stats("/tmp/page.prof")
