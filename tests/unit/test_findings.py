"""Warning lines folded per finding: the first few files, then a count of the rest."""

from feedpub.findings import SHOWN_PER_FINDING, finding_key, warning_lines


def test_given_values_that_differ_from_file_to_file_then_the_finding_is_the_same() -> None:
    assert finding_key("id '17' is not a URI (id ignored)") == finding_key(
        "id 'wp-18' is not a URI (id ignored)"
    )
    assert finding_key("body: {% x %} is not converted and was removed (2 times)") == finding_key(
        "body: {% x %} is not converted and was removed (12 times)"
    )
    assert finding_key("has no duration") != finding_key("has no title: 'a' is taken from the file name")


def test_given_a_file_that_states_a_finding_twice_then_the_count_says_findings_and_files() -> None:
    # Given 6 files, each with two unknown keys
    warnings = [
        (f"p{n}.md", f"'{key}' is not a field feedpub reads (ignored); did you mean 'tags'?")
        for n in range(6)
        for key in ("tag", "tgas")
    ]
    lines = warning_lines(warnings, "report.json")
    # Then three lines, and the other nine findings counted with the files they are in
    assert lines[:SHOWN_PER_FINDING] == [f"WARN {path}: {message}" for path, message in warnings[:3]]
    assert lines[SHOWN_PER_FINDING:] == [
        "WARN … and 9 more in 5 files with the same warning: "
        "'…' is not a field feedpub reads (ignored); did you mean '…'?; every one is in report.json"
    ]


def test_given_apostrophes_in_prose_and_in_values_then_only_values_are_masked() -> None:
    assert finding_key("id 'it's 7' is not a URI, and Hugo's feeds never used it") == (
        "id '…' is not a URI, and Hugo's feeds never used it"
    )
