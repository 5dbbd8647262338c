"""seqviz.ssm.results: the saved comparisons and the models and examples the selection view inspects."""
from seqviz.ssm import results
from seqviz.ssm.compare import MODEL_KINDS, CompareConfig
from seqviz.ssm.tasks import ALPHABET, TASKS


def test_every_task_has_a_saved_comparison_made_at_the_inspected_length():
    for task in TASKS:
        saved = results.load_results(results.results_path(task))
        assert saved.config.task == task and results.INSPECT_LENGTH in saved.config.lengths
        assert set(saved.accuracy) == set(MODEL_KINDS)


def test_inspected_models_are_the_saved_ones_in_eval_mode():
    models = results.inspected_models("selective_copying")
    assert set(models) == set(MODEL_KINDS) and not any(m.training for m in models.values())


def test_a_task_without_saved_models_trains_them_briefly(monkeypatch):
    monkeypatch.setattr(results, "load_models", lambda task, config: None)
    monkeypatch.setattr(results, "UNSAVED_STEPS", 2)
    models = results.inspected_models("induction_heads")
    assert set(models) == set(MODEL_KINDS) and not any(m.training for m in models.values())


def test_an_inspection_example_is_a_typed_sequence_of_the_task_repeatable_from_its_seed():
    text = results.inspection_example("selective_copying", seed=3)
    assert len(text) == results.INSPECT_LENGTH + CompareConfig.n_memorize and set(text) <= set(ALPHABET)
    assert text == results.inspection_example("selective_copying", seed=3)
    assert text != results.inspection_example("selective_copying", seed=4)
