"""Unit spellings, conversions and eGFR equations (DOMAIN.md, "Units and formulas")."""

from __future__ import annotations

import pytest

from trialfinder.eligibility.units import convert, egfr_ckd_epi_2021, egfr_mdrd, normalise_unit

SPELLINGS = """
x 10^9/L        | 10^9/L
10*9/L          | 10^9/L
x10⁹/L          | 10^9/L
10E9/L          | 10^9/L
109/L           | 10^9/L
x 109/L         | 10^9/L
10*3/uL         | 10^3/uL
/mm³            | /uL
cells/µL        | /uL
IU/L            | U/L
[IU]/L          | U/L
U/L             | U/L
µmol/L          | umol/L
μmol/l          | umol/L
g/dL            | g/dL
mL/min/{1.73_m2}| mL/min/1.73m2
ml/min          | mL/min
{INR}           | 1
furlongs        | None
"""


@pytest.mark.parametrize("line", SPELLINGS.strip().splitlines())
def test_unit_spellings(line):
    spelling, canonical = (part.strip() for part in line.split("|"))
    assert normalise_unit(spelling) == (None if canonical == "None" else canonical)


CONVERSIONS = """
hemoglobin  8.0     g/dL     mmol/L   4.9648
hemoglobin  5.5     mmol/L   g/dL     8.8624
hemoglobin  90      g/L      g/dL     9.0
creatinine  1.0     mg/dL    umol/L   88.4
bilirubin   1.2     mg/dL    umol/L   20.52
platelets   100000  /uL      10^9/L   100.0
platelets   100     10^3/uL  10^9/L   100.0
alt         1       ukat/L   U/L      60.0
"""


@pytest.mark.parametrize("line", CONVERSIONS.strip().splitlines())
def test_conversions(line):
    analyte, value, source, target, expected = line.split()
    assert convert(float(value), source, target, analyte) == pytest.approx(float(expected), rel=1e-4)


def test_no_guessing_across_dimensions():
    assert convert(5.0, "mmol/L", "g/dL", "platelets") is None  # no molar factor for a count
    assert convert(5.0, "mmol/L", "g/dL", None) is None
    assert convert(5.0, "U/L", "10^9/L") is None


def test_mdrd():
    # 175 x 1.4^-1.154 x 50^-0.203 = 53.64 (male); x 0.742 female; x 1.212 Black.
    assert egfr_mdrd(1.4, 50, female=False) == pytest.approx(53.64, abs=0.01)
    assert egfr_mdrd(1.4, 50, female=True) == pytest.approx(53.64 * 0.742, abs=0.01)
    assert egfr_mdrd(1.4, 50, female=False, black=True) == pytest.approx(53.64 * 1.212, abs=0.02)


def test_ckd_epi_2021():
    # Worked values from the equation: female 60 y, Scr 0.7 (= kappa) -> 142 x 0.9938^60 x 1.012 = 98.4;
    # male 60 y, Scr 1.8 -> 142 x 2^-1.2 x 0.9938^60 = 42.5.
    assert egfr_ckd_epi_2021(0.7, 60, female=True) == pytest.approx(142 * 0.9938**60 * 1.012, rel=1e-9)
    assert egfr_ckd_epi_2021(1.8, 60, female=False) == pytest.approx(142 * 2**-1.2 * 0.9938**60, rel=1e-9)
    assert egfr_ckd_epi_2021(0.5, 60, female=False) == pytest.approx(142 * (0.5 / 0.9) ** -0.302 * 0.9938**60, rel=1e-9)
    with pytest.raises(ValueError):
        egfr_ckd_epi_2021(0, 60, female=True)


def test_unit_spellings_written_out():
    assert normalise_unit("grams per deciliter") == "g/dL"
    assert normalise_unit("per cubic millimeter") == "/uL"
    assert normalise_unit("cells/microliter") == "/uL"
    assert normalise_unit("°F") == "[degF]"
    # Fahrenheit is not converted by a factor: a Celsius result against it stays unknown.
    assert convert(100.4, "[degF]", "Cel") is None
