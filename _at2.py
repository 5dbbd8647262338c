from harness.apptest import app_test
at = app_test("app.py").run()
at.switch_page("pages/lessons.py").run()
at.button(key="lesson_start_vanishing").click().run()
print("exc", at.exception, dict(at.query_params), [t.value for t in at.title])
print(at.session_state["_lesson_applied"] if "_lesson_applied" in at.session_state else None)
at.run()
print("exc", at.exception, dict(at.query_params), [t.value for t in at.title])
