from services.triage.evaluation import direction_accuracy, field_report


def test_direction_counts_only_rows_a_person_marked_positive_or_negative() -> None:
    truth = ["positive", "negative", "neutral", "negative"]
    predicted = ["positive", "neutral", "negative", "negative"]
    assert direction_accuracy(truth, predicted) == 2 / 3
    assert direction_accuracy(["neutral"], ["positive"]) is None


def test_field_report_gives_precision_recall_and_confusion() -> None:
    report = field_report(["bug", "bug", "praise", "question"], ["bug", "praise", "praise", "bug"])
    assert report.accuracy == 0.5 and report.n == 4
    assert report.per_class["bug"].precision == 0.5 and report.per_class["bug"].recall == 0.5
    assert report.per_class["question"].recall == 0.0 and report.per_class["question"].precision is None
    assert report.confusion["bug"] == {"bug": 1, "praise": 1}
