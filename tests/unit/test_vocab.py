"""The controlled vocabularies: stored codes are a contract with every database ever written."""

from __future__ import annotations

import pytest

from needlelog.domain import vocab
from needlelog.domain.vocab import CONDITION_REGIONS, LUNG_FIELD_REGIONS, MUSCLES, BodyRegion, Coded, Side

ALL_VOCABULARIES = [
    cls for cls in vars(vocab).values() if isinstance(cls, type) and issubclass(cls, Coded) and cls is not Coded
]

# Released codes never change; this list changes only by adding.
RELEASED = {
    "BodyRegion": "head_jaw neck shoulder upper_back chest lower_back upper_arm elbow forearm_hand hip_gluteal "
    "thigh knee calf ankle_foot",
    "Side": "left right bilateral midline",
    "TwitchResponse": "none weak strong",
    "Soreness": "none mild moderate severe",
    "Precaution": "needle_fear bleeding_risk infection_immune recent_surgery pregnancy under_12 "
    "lymphoedema_left_arm lymphoedema_right_arm lymphoedema_left_leg lymphoedema_right_leg implanted_device "
    "epilepsy diabetes_sensation metal_allergy lung_disease_low_mass fainting_history",
    "Aftercare": "hydrate stretches ice_heat keep_active avoid_alcohol expect_soreness seek_care_breathing",
    "AdverseEventKind": "pneumothorax retained_needle nerve_injury infection fainting_injury other_serious",
}


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_codes_are_still_there(name: str) -> None:
    cls = getattr(vocab, name)
    assert set(RELEASED[name].split()) <= {member.value for member in cls}


@pytest.mark.parametrize("cls", ALL_VOCABULARIES, ids=lambda c: c.__name__)
def test_every_term_has_a_label_and_a_short_code(cls: type[Coded]) -> None:
    for member in cls:
        assert member.label.strip(), member
        assert len(member.value) <= 32 and member.value == member.value.lower()
        assert cls.from_code(member.value) is member


def test_unknown_code_is_named() -> None:
    with pytest.raises(ValueError, match="unknown Side code 'up'"):
        Side.from_code("up")


def test_every_region_has_quick_pick_muscles() -> None:
    assert set(MUSCLES) == set(BodyRegion)
    assert "upper trapezius" in MUSCLES[BodyRegion.NECK]
    assert "quadratus lumborum" in MUSCLES[BodyRegion.LOWER_BACK]


def test_every_condition_names_regions_and_lung_field_is_chest_and_upper_back() -> None:
    assert all(CONDITION_REGIONS[c] for c in vocab.Condition)
    assert {BodyRegion.CHEST, BodyRegion.UPPER_BACK} == LUNG_FIELD_REGIONS
