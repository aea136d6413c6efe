"""Regenerate docs/case-format.md from the configuration dataclasses."""

from pathlib import Path

from cfdopt.case.docs import case_format_markdown

if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "docs" / "case-format.md"
    path.write_text(case_format_markdown())
    print(f"wrote {path}")
