"""The muscles over the thorax or the lung apex, read from the vocabulary's words or the clinician's own text."""

from __future__ import annotations

import pytest

from needlelog.domain.figure import anchor_points, lung_field_site
from needlelog.domain.lung_field import LUNG_FIELD_MUSCLES, lung_field_muscle, muscle_over_lung, muscle_words
from needlelog.domain.model import NeedlingSite
from needlelog.domain.vocab import LUNG_FIELD_REGIONS, MUSCLES, BodyRegion, Side

# Every muscle of the vocabulary that lies over the thorax or the apex of the lung (docs/CLINICAL.md).
OVER_THE_LUNG = {
    "upper trapezius",
    "scalenes",
    "supraspinatus",
    "infraspinatus",
    "subscapularis",
    "rhomboids",
    "middle trapezius",
    "thoracic erector spinae",
    "serratus posterior",
    "pectoralis major",
    "pectoralis minor",
    "serratus anterior",
}


def test_the_vocabulary_muscles_over_the_lung_are_exactly_the_listed_ones() -> None:
    every = {muscle for muscles in MUSCLES.values() for muscle in muscles}
    assert every >= OVER_THE_LUNG
    assert {muscle for muscle in every if muscle_over_lung(muscle)} == OVER_THE_LUNG


@pytest.mark.parametrize(
    "typed",
    [
        "Upper trapezius",
        "UPPER TRAPEZIUS",
        "lower trapezius",
        "upper trap",
        "L traps",
        "scalene",
        "Scalenus anterior",
        "scalènes",
        "Trapèze supérieur",
        "rhomboid major",
        "Rhomboïdes",
        "serratus posterior inferior",
        "pec minor",
        "Pectoralis Major (sternal)",
        "intercostals 4th-5th",
        "subscap",
        "supra-spinatus",
        "supra spinatus",
        "Infraspinatus trigger point",
        "thoracic multifidus",
        "T6 erector spinae",
        "iliocostalis thoracis",
        "longissimus thoracis",
        "thoracic paraspinals",
        "upper quadratus lumborum",
        "Quadratus lumborum (upper fibres, 12th rib)",
        "upper QL",
        "latissimus dorsi",
        "subclavius",
    ],
)
def test_listed_muscles_are_found_whatever_the_case_accents_or_punctuation(typed: str) -> None:
    assert muscle_over_lung(typed), typed


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "gastrocnemius",
        "soleus",
        "levator scapulae",
        "quadratus lumborum",  # the lumbar part: only its upper fibres reach the 12th rib
        "QL",
        "quadratus femoris",
        "lumbar multifidus",
        "erector spinae",
        "pectineus",  # not a pectoral
        "trapped nerve",  # not a trap
        "upper arm",
        "gluteus medius",
        "deltoid",
        "teres minor",
    ],
)
def test_muscles_away_from_the_lung_are_not_found(typed: str) -> None:
    assert not muscle_over_lung(typed), typed


def test_each_listed_muscle_is_named_by_its_own_item() -> None:
    assert lung_field_muscle("Upper trapezius") is lung_field_muscle("lower trap")
    assert lung_field_muscle("scalenes") is not lung_field_muscle("upper trapezius")
    assert all(item.name and item.words for item in LUNG_FIELD_MUSCLES)
    assert "supraspinatus" in muscle_words("Supra-Spinatus")


@pytest.mark.parametrize("region", list(BodyRegion))
def test_a_site_is_over_the_lung_by_its_region_its_marker_or_its_muscle(region: BodyRegion) -> None:
    away = anchor_points(BodyRegion.CALF, Side.RIGHT)  # a marker nowhere near the lung
    for muscle in MUSCLES[region]:
        site = NeedlingSite(region, Side.RIGHT, muscle, trigger_points=away)
        assert lung_field_site(site) is (region in LUNG_FIELD_REGIONS or muscle in OVER_THE_LUNG), muscle
    # placed from the lists, a neck site sits mid-neck: its muscle decides
    mid_neck = anchor_points(BodyRegion.NECK, Side.RIGHT)
    assert lung_field_site(NeedlingSite(BodyRegion.NECK, Side.RIGHT, "scalenes", trigger_points=mid_neck))
    assert not lung_field_site(NeedlingSite(BodyRegion.NECK, Side.RIGHT, "levator scapulae", trigger_points=mid_neck))
