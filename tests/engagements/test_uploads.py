"""Uploaded file names: what is stored and shown of whatever the browser sent."""

import pytest

from engagements.uploads import upload_name


def test_a_long_name_is_cut_to_the_column_with_its_extension_kept():
    name = upload_name("a" * 300 + ".png")

    assert len(name) == 200
    assert name.endswith("a.png")


def test_a_long_name_in_a_non_latin_script_also_fits_the_file_system():
    name = upload_name("報告" * 200 + ".pdf")

    assert name.endswith(".pdf")
    assert len(name.encode()) <= 247


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\ray\\Desktop\\step one.png", "step one.png"),
        ("../../etc/passwd", "passwd"),
        ("step\tone\n.png", "step one.png"),
        ("  ", "upload"),
        ("...", "upload"),
        ("notes.this is not an extension", "notes.this is not an extension"),
    ],
)
def test_folders_control_characters_and_blank_names_are_normalised(sent, kept):
    assert upload_name(sent) == kept
