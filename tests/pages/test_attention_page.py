"""The Attention page: every view with the shipped checkpoints, typed input, live training on tiny budgets."""
import json
import re

from harness.apptest import app_test, instant_views, page_captions, page_figures, plotly_specs

PAGE = "pages/attention.py"


def run(**query):
    at = app_test(PAGE, **query).run()
    assert not at.exception
    return at


def query(at, key: str) -> str | None:
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def test_train_view_shows_the_shipped_default_model_and_its_curves():
    at = run()
    assert at.title[0].value == "Attention"
    caption = page_captions(at)
    assert "shipped checkpoint" in caption and "held-out exact-sequence accuracy 100.0%" in caption
    (spec,) = page_figures(at)
    assert spec["data"][1]["y"][-1] >= 0.95


def test_the_task_is_sent_with_the_curves_of_every_tasks_shipped_model():
    at = run()
    (view,) = instant_views(at)
    assert view["label"] == "Task" and view["value"] == "reverse" and view["control"]["kind"] == "choice"
    assert [text for text, _ in view["control"]["options"]] == list(view["charts"]) == ["reverse", "sort", "copy-delay",
                                                                                      "dates"]
    for task, sent in view["charts"].items():  # each the task's own checkpoint, drawn as the server draws it
        at.session_state["attn_task"] = task
        at.run()
        assert not at.exception and page_figures(at)[0] == json.loads(sent["figure"])
        assert query(at, "attn_task") == (None if task == "reverse" else task)  # the URL follows
    ids = {sent["id"] for sent in view["charts"].values()}
    assert len(ids) == 4  # four different checkpoints: four different curves


def test_a_click_on_another_task_is_taken_from_the_browser_without_moving_it_back():
    at = run()
    first = instant_views(at)[0]
    at.session_state["attn_task_instant"] = {"pick": {"value": "sort", "seq": first["seq"]}}  # a click's report
    at.session_state["_attn_task_sync"].on_screen = "sort"  # what instant.py's callback records
    at.session_state["attn_task"] = "sort"
    at.run()
    (after,) = instant_views(at)
    assert after["seq"] == first["seq"] and after["charts"] == first["charts"]  # the browser keeps what it shows


def test_a_new_configuration_trains_live_when_asked_even_at_the_longest_length():
    at = run(attn_hidden=16, attn_steps=20, attn_max_len=40)
    assert any("has not been trained" in i.value for i in at.info)
    at.button(key="attn_train").click().run()
    assert not at.exception
    (spec,) = page_figures(at)
    assert spec["data"][0]["x"] == [20]
    assert "trained in this session on CPU: 20 updates" in page_captions(at)


def test_retrain_live_under_the_curves_trains_the_shipped_configuration_again():
    at = run(attn_steps=20, attn_hidden=16)
    at.button(key="attn_train").click().run()
    first = at.session_state["attn_models"]
    (before,) = first.values()
    assert [el.type for el in at.main if el.type in ("bidi_component", "plotly_chart", "button")][-2:] == \
        ["bidi_component", "button"]  # the curves with the task first, the retrain button last
    at.button(key="attn_retrain").click().run()
    assert not at.exception
    (after,) = at.session_state["attn_models"].values()
    assert after is not before and after.config == before.config
    assert "trained in this session on CPU: 20 updates" in page_captions(at)


def test_alignment_axes_carry_the_source_and_emitted_tokens_and_animate_per_step():
    at = run(attn_view="Alignment")
    (spec,) = plotly_specs(at)
    assert spec["layout"]["xaxis"]["ticktext"] == list("3141592653")
    assert spec["layout"]["yaxis"]["ticktext"] == list("3562951413") + ["⟨/s⟩"]
    assert len(spec["frames"]) == 11
    assert spec["frames"][0]["data"][0]["z"][1] == [None] * 10
    assert all(f["layout"]["title"]["text"].startswith("decoder step") for f in spec["frames"])
    assert any(", correct (target" in m.value for m in at.markdown)


def test_typed_input_with_characters_outside_the_vocabulary_is_explained():
    at = run(attn_view="Alignment")
    at.text_input(key="attn_input_reverse").set_value("12a4!").run()
    assert not at.exception
    message = at.error[0].value
    assert "'!', 'a'" in message and "reverse task's vocabulary" in message
    assert not plotly_specs(at)


def test_the_longest_input_decodes_and_the_animation_is_decimated():
    at = run(attn_view="Alignment", attn_input_reverse="1234567890" * 4, attn_beam=4)
    (spec,) = plotly_specs(at)
    assert len(spec["layout"]["xaxis"]["ticktext"]) == 40
    assert len(spec["frames"]) <= 25
    assert len(json.dumps(spec)) < 2_000_000


def test_side_by_side_compares_two_attention_types_on_the_same_input():
    at = run(attn_view="Alignment", attn_compare="luong-dot")
    (spec,) = plotly_specs(at)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert "bahdanau" in titles and "luong-dot" in titles
    assert [d["type"] for d in spec["data"]] == ["heatmap", "bar", "heatmap", "bar"]


def test_dates_model_converts_the_issue_example():
    at = run(attn_view="Alignment", attn_task="dates")
    assert any("`2026-11-23`, correct" in m.value for m in at.markdown)


def test_bottleneck_view_shows_the_cached_sweep_with_and_without_attention():
    at = run(attn_view="Bottleneck")
    (spec,) = plotly_specs(at)
    names = [d["name"] for d in spec["data"]]
    assert "no attention (s₀ only)" in names and "attention: bahdanau" in names
    assert spec["data"][0]["x"] == [5, 10, 15, 20, 25, 30, 35, 40]


def test_bottleneck_sweep_recomputes_live_on_request():
    at = run(attn_view="Bottleneck", attn_sweep_steps=10, attn_sweep_max=10, attn_hidden=16)
    assert not plotly_specs(at)
    at.button(key="attn_sweep_run").click().run()
    assert not at.exception
    (spec,) = plotly_specs(at)
    assert spec["data"][0]["x"] == [5, 10]


def test_exposure_bias_view_compares_teacher_forced_and_free_running():
    at = run(attn_view="Exposure bias", attn_exp_len=16)
    (spec,) = plotly_specs(at)
    assert [d["name"] for d in spec["data"][:2]] == ["teacher-forced", "free-running"]
    assert len(spec["data"][0]["y"]) == 16
    assert "teacher-forced" in at.caption[0].value


def test_exposure_bias_at_its_defaults_shows_teacher_forcing_ahead_of_free_running():
    at = run(attn_view="Exposure bias")
    caption = at.caption[0].value
    forced, free = (float(v) for v in re.findall(r"(?:teacher-forced|free-running) ([0-9.]+)%", caption)[:2])
    assert forced - free >= 20  # percentage points: the effect the view is named after, at its defaults
    assert "both ways" in caption  # greedy decoding: whole outputs right under one are right under the other


def test_exposure_bias_on_dates_explains_that_lengths_do_not_apply():
    at = run(attn_view="Exposure bias", attn_task="dates", attn_max_len=40)
    assert "Dates have their own lengths" in at.caption[0].value
    assert "(128 fresh dates)" in at.caption[1].value and "length" not in at.caption[1].value
    (spec,) = plotly_specs(at)
    assert not spec["layout"].get("shapes") and "length" not in spec["layout"]["annotations"][0]["text"]


def test_exposure_bias_on_copy_delay_marks_the_trained_positions_after_the_blanks():
    at = run(attn_view="Exposure bias", attn_task="copy-delay", attn_exp_len=10)
    (spec,) = plotly_specs(at)
    assert len(spec["data"][0]["y"]) == 12 and spec["layout"]["shapes"][0]["x0"] == 11.5  # 2 blanks + 10 digits


def test_inconsistent_lengths_give_a_clear_error():
    at = run(attn_min_len=12, attn_max_len=10)
    assert at.error[0].value.startswith("Shortest source (12) is longer than Longest source (10)")
    assert not page_figures(at) and list(instant_views(at)[0]["charts"]) == ["dates"]  # dates have their own lengths
    at.session_state["attn_task"] = "dates"
    at.run()
    assert not at.exception and not at.error and page_figures(at)


def test_alignment_without_attention_says_the_decoder_sees_only_the_summary():
    at = run(attn_view="Alignment", attn_attention="none", attn_compare="bahdanau", attn_beam=3)
    (spec,) = plotly_specs(at)
    assert any("no attention" in a["text"] for a in spec["layout"]["annotations"])
    assert len(spec["frames"]) == 11


def test_settings_a_task_does_not_use_keep_its_shipped_model():
    for query in (dict(attn_task="reverse", attn_delay=5), dict(attn_task="dates", attn_max_len=12, attn_min_len=12)):
        at = run(**query)
        assert "shipped checkpoint" in page_captions(at), query


def test_without_attention_the_equations_name_only_the_initial_state_both_directions_when_bidirectional():
    at = run(attn_view="Alignment", attn_attention="none", attn_bidir=1, attn_steps=10, attn_hidden=16)
    latex = at.latex[0].value
    assert r"\overrightarrow{h}_S" in latex and r"\alpha" not in latex


def test_input_feeding_is_shown_off_for_bahdanau_and_back_on_for_a_luong_score():
    at = run(attn_attention="luong-general", attn_feed=1, attn_hidden=16, attn_steps=10)
    assert at.toggle(key="attn_feed").value is True
    at.selectbox(key="attn_attention").set_value("bahdanau").run()
    shown = at.toggle(key="attn_feed_unavailable")
    assert not at.exception and (shown.value, shown.proto.disabled) == (False, True)
    assert "Luong-style" in shown.help
    at.selectbox(key="attn_attention").set_value("luong-dot").run()
    assert not at.exception and at.toggle(key="attn_feed").value is True


def test_the_equations_show_the_decoder_step_each_attention_computes():
    def latex(**query):
        return run(attn_view="Alignment", attn_hidden=16, attn_steps=10, **query).latex[0].value
    bahdanau, feeding, plain = (latex(attn_attention="bahdanau"), latex(attn_attention="luong-dot", attn_feed=1),
                                latex(attn_attention="luong-dot"))
    assert r"\mathrm{cell}([\mathrm{emb}(y_{t-1});\ c_t], s_{t-1})" in bahdanau
    assert r"W_o [s_t;\ c_t]" in bahdanau and r"\tilde{h}" not in bahdanau
    assert r"\mathrm{cell}([\mathrm{emb}(y_{t-1});\ \tilde{h}_{t-1}], s_{t-1})" in feeding and r"\tilde{h}_0 = 0" in feeding
    assert r"\mathrm{cell}(\mathrm{emb}(y_{t-1}), s_{t-1})" in plain and r"W_o \tilde{h}_t" in plain
