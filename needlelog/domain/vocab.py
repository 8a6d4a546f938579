"""The clinic's controlled vocabularies (SPEC §2).

Each list is an enum whose *value* is the stable code stored in the database and
whose ``label`` is the word shown to people. Codes never change once released;
labels may be reworded freely.
"""

from __future__ import annotations

from enum import StrEnum


class Coded(StrEnum):
    """A controlled term: ``value`` is the stored code, ``label`` the shown word."""

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def from_code(cls, code: str) -> Coded:
        try:
            return cls(code)
        except ValueError:
            raise ValueError(f"unknown {cls.__name__} code {code!r}") from None


class BodyRegion(Coded):
    HEAD_JAW = "head_jaw"
    NECK = "neck"
    SHOULDER = "shoulder"
    UPPER_BACK = "upper_back"
    CHEST = "chest"
    LOWER_BACK = "lower_back"
    UPPER_ARM = "upper_arm"
    ELBOW = "elbow"
    FOREARM_HAND = "forearm_hand"
    HIP_GLUTEAL = "hip_gluteal"
    THIGH = "thigh"
    KNEE = "knee"
    CALF = "calf"
    ANKLE_FOOT = "ankle_foot"


class Side(Coded):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"
    MIDLINE = "midline"


class Condition(Coded):
    LOW_BACK_SCIATICA = "low_back_sciatica"
    NECK_HEADACHE = "neck_headache"
    SHOULDER_ROTATOR_CUFF = "shoulder_rotator_cuff"
    TMJ_JAW = "tmj_jaw"
    ELBOW_EPICONDYLALGIA = "elbow_epicondylalgia"
    HIP_IT_BAND = "hip_it_band"
    CALF_PLANTAR = "calf_plantar"
    WHIPLASH_SPORTS = "whiplash_sports"
    POSTURAL_TENSION = "postural_tension"
    ARTHRITIS = "arthritis"
    MIGRAINE = "migraine"
    CARPAL_TUNNEL = "carpal_tunnel"
    OTHER_CHRONIC_PAIN = "other_chronic_pain"


class Technique(Coded):
    STATIC = "static"
    PISTONING = "pistoning"
    IMS = "ims"


class TwitchResponse(Coded):
    NONE = "none"
    WEAK = "weak"
    STRONG = "strong"


class Soreness(Coded):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Reaction(Coded):
    """Post-session reactions other than soreness, which has its own level."""

    DISCOMFORT = "discomfort"
    BRUISING = "bruising"
    BLEEDING = "bleeding"
    REDNESS = "redness"
    FATIGUE = "fatigue"
    LIGHT_HEADED = "light_headed"
    NAUSEA = "nausea"
    OTHER = "other"


class AdverseEventKind(Coded):
    PNEUMOTHORAX = "pneumothorax"
    RETAINED_NEEDLE = "retained_needle"
    NERVE_INJURY = "nerve_injury"
    INFECTION = "infection"
    FAINTING_INJURY = "fainting_injury"
    OTHER_SERIOUS = "other_serious"


class Aftercare(Coded):
    HYDRATE = "hydrate"
    STRETCHES = "stretches"
    ICE_HEAT = "ice_heat"
    KEEP_ACTIVE = "keep_active"
    AVOID_ALCOHOL = "avoid_alcohol"
    EXPECT_SORENESS = "expect_soreness"
    SEEK_CARE_BREATHING = "seek_care_breathing"


class Precaution(Coded):
    NEEDLE_FEAR = "needle_fear"
    BLEEDING_RISK = "bleeding_risk"
    INFECTION_IMMUNE = "infection_immune"
    RECENT_SURGERY = "recent_surgery"
    PREGNANCY = "pregnancy"
    UNDER_12 = "under_12"
    # Added from published dry-needling safety guidance (docs/CLINICAL.md, "Screening"). Lymphoedema is one code
    # per limb, so the limb is stored without a schema change; see LYMPHOEDEMA_LIMBS.
    LYMPHOEDEMA_LEFT_ARM = "lymphoedema_left_arm"
    LYMPHOEDEMA_RIGHT_ARM = "lymphoedema_right_arm"
    LYMPHOEDEMA_LEFT_LEG = "lymphoedema_left_leg"
    LYMPHOEDEMA_RIGHT_LEG = "lymphoedema_right_leg"
    IMPLANTED_DEVICE = "implanted_device"
    EPILEPSY = "epilepsy"
    DIABETES_SENSATION = "diabetes_sensation"
    METAL_ALLERGY = "metal_allergy"
    LUNG_DISEASE_LOW_MASS = "lung_disease_low_mass"
    FAINTING_HISTORY = "fainting_history"


class ConsentMethod(Coded):
    WRITTEN = "written"
    VERBAL = "verbal"


class TreatmentPlan(Coded):
    ACUTE = "acute"
    CHRONIC = "chronic"


class Role(Coded):
    """What an account may do (SPEC §4); the permission table is ``domain/access.py``."""

    CLINICIAN = "clinician"
    MANAGER = "manager"
    ADMIN = "admin"


class FigureView(Coded):
    FRONT = "front"
    BACK = "back"


class SessionStatus(Coded):
    DRAFT = "draft"
    SIGNED = "signed"
    DISCARDED = "discarded"  # by its clinician, with a reason: kept in the file, hidden from the chart


_LABELS: dict[Coded, str] = {
    Role.CLINICIAN: "Clinician",
    Role.MANAGER: "Manager",
    Role.ADMIN: "Administrator",
    BodyRegion.HEAD_JAW: "Head and jaw (TMJ)",
    BodyRegion.NECK: "Neck",
    BodyRegion.SHOULDER: "Shoulder",
    BodyRegion.UPPER_BACK: "Upper back (thoracic)",
    BodyRegion.CHEST: "Chest",
    BodyRegion.LOWER_BACK: "Lower back (lumbar)",
    BodyRegion.UPPER_ARM: "Upper arm",
    BodyRegion.ELBOW: "Elbow",
    BodyRegion.FOREARM_HAND: "Forearm / wrist / hand",
    BodyRegion.HIP_GLUTEAL: "Hip and gluteal",
    BodyRegion.THIGH: "Thigh",
    BodyRegion.KNEE: "Knee",
    BodyRegion.CALF: "Calf / lower leg",
    BodyRegion.ANKLE_FOOT: "Ankle / foot",
    Side.LEFT: "Left",
    Side.RIGHT: "Right",
    Side.BILATERAL: "Bilateral",
    Side.MIDLINE: "Midline",
    Condition.LOW_BACK_SCIATICA: "Lower back pain and sciatica",
    Condition.NECK_HEADACHE: "Neck pain and headaches",
    Condition.SHOULDER_ROTATOR_CUFF: "Shoulder pain and rotator cuff",
    Condition.TMJ_JAW: "TMJ / jaw pain",
    Condition.ELBOW_EPICONDYLALGIA: "Tennis or golfer's elbow",
    Condition.HIP_IT_BAND: "Hip pain and IT band syndrome",
    Condition.CALF_PLANTAR: "Calf strain and plantar fasciitis",
    Condition.WHIPLASH_SPORTS: "Whiplash and sports injuries",
    Condition.POSTURAL_TENSION: "Chronic postural tension",
    Condition.ARTHRITIS: "Arthritis",
    Condition.MIGRAINE: "Migraine",
    Condition.CARPAL_TUNNEL: "Carpal tunnel syndrome",
    Condition.OTHER_CHRONIC_PAIN: "Other chronic pain",
    Technique.STATIC: "Static (retained) needling",
    Technique.PISTONING: "Pistoning (in-and-out)",
    Technique.IMS: "IMS",
    TwitchResponse.NONE: "None",
    TwitchResponse.WEAK: "Weak",
    TwitchResponse.STRONG: "Strong",
    Soreness.NONE: "None",
    Soreness.MILD: "Mild",
    Soreness.MODERATE: "Moderate",
    Soreness.SEVERE: "Severe",
    Reaction.DISCOMFORT: "Discomfort during treatment",
    Reaction.BRUISING: "Minor bruising",
    Reaction.BLEEDING: "Minor bleeding",
    Reaction.REDNESS: "Temporary redness",
    Reaction.FATIGUE: "Fatigue",
    Reaction.LIGHT_HEADED: "Light-headedness / fainting",
    Reaction.NAUSEA: "Nausea",
    Reaction.OTHER: "Other",
    AdverseEventKind.PNEUMOTHORAX: "Suspected pneumothorax",
    AdverseEventKind.RETAINED_NEEDLE: "Retained or broken needle",
    AdverseEventKind.NERVE_INJURY: "Nerve injury",
    AdverseEventKind.INFECTION: "Infection",
    AdverseEventKind.FAINTING_INJURY: "Fainting with injury",
    AdverseEventKind.OTHER_SERIOUS: "Other serious event",
    Aftercare.HYDRATE: "Stay hydrated",
    Aftercare.STRETCHES: "Prescribed stretches and exercises",
    Aftercare.ICE_HEAT: "Ice or heat",
    Aftercare.KEEP_ACTIVE: "Keep active",
    Aftercare.AVOID_ALCOHOL: "Avoid excessive alcohol",
    Aftercare.EXPECT_SORENESS: "Expect soreness for 24-48 h",
    Aftercare.SEEK_CARE_BREATHING: "Seek care at once for shortness of breath or chest pain",
    Precaution.NEEDLE_FEAR: "Severe fear of needles",
    Precaution.BLEEDING_RISK: "Blood clotting disorder or blood thinners",
    Precaution.INFECTION_IMMUNE: "Active infection or compromised immune system",
    Precaution.RECENT_SURGERY: "Recent surgery in the treatment area",
    Precaution.PREGNANCY: "Pregnancy",
    Precaution.UNDER_12: "Age under 12",
    Precaution.LYMPHOEDEMA_LEFT_ARM: "Lymphoedema of the left arm",
    Precaution.LYMPHOEDEMA_RIGHT_ARM: "Lymphoedema of the right arm",
    Precaution.LYMPHOEDEMA_LEFT_LEG: "Lymphoedema of the left leg",
    Precaution.LYMPHOEDEMA_RIGHT_LEG: "Lymphoedema of the right leg",
    Precaution.IMPLANTED_DEVICE: "Implanted electrical device (pacemaker, defibrillator, stimulator)",
    Precaution.EPILEPSY: "Epilepsy",
    Precaution.DIABETES_SENSATION: "Diabetes or reduced sensation",
    Precaution.METAL_ALLERGY: "Metal allergy (nickel)",
    Precaution.LUNG_DISEASE_LOW_MASS: "Lung disease or low body mass (pneumothorax risk)",
    Precaution.FAINTING_HISTORY: "History of fainting",
    ConsentMethod.WRITTEN: "Written",
    ConsentMethod.VERBAL: "Verbal",
    TreatmentPlan.ACUTE: "Acute (expect 2-3 sessions)",
    TreatmentPlan.CHRONIC: "Chronic (expect 4-6 sessions)",
    FigureView.FRONT: "Front",
    FigureView.BACK: "Back",
    SessionStatus.DRAFT: "Draft",
    SessionStatus.SIGNED: "Signed",
    SessionStatus.DISCARDED: "Discarded",
}

# Curated quick-pick muscles per region (SPEC §2); free text is always allowed too.
MUSCLES: dict[BodyRegion, tuple[str, ...]] = {
    BodyRegion.HEAD_JAW: ("masseter", "temporalis", "lateral pterygoid"),
    BodyRegion.NECK: (
        "upper trapezius",
        "levator scapulae",
        "splenius capitis",
        "scalenes",
        "sternocleidomastoid",
        "suboccipitals",
    ),
    BodyRegion.SHOULDER: (
        "supraspinatus",
        "infraspinatus",
        "teres minor",
        "deltoid",
        "subscapularis",
    ),
    BodyRegion.UPPER_BACK: (
        "rhomboids",
        "middle trapezius",
        "thoracic erector spinae",
        "serratus posterior",
    ),
    BodyRegion.CHEST: ("pectoralis major", "pectoralis minor", "serratus anterior"),
    BodyRegion.LOWER_BACK: (
        "quadratus lumborum",
        "lumbar multifidus",
        "erector spinae",
    ),
    BodyRegion.UPPER_ARM: ("biceps brachii", "triceps brachii", "brachialis"),
    BodyRegion.ELBOW: (
        "wrist extensors",
        "wrist flexors",
        "brachioradialis",
        "supinator",
    ),
    BodyRegion.FOREARM_HAND: (
        "wrist extensors",
        "wrist flexors",
        "brachioradialis",
        "pronator teres",
    ),
    BodyRegion.HIP_GLUTEAL: (
        "gluteus medius",
        "gluteus minimus",
        "piriformis",
        "tensor fasciae latae",
    ),
    BodyRegion.THIGH: (
        "vastus lateralis",
        "rectus femoris",
        "hamstrings",
        "adductor longus",
    ),
    BodyRegion.KNEE: ("vastus medialis", "popliteus", "biceps femoris"),
    BodyRegion.CALF: (
        "gastrocnemius",
        "soleus",
        "tibialis anterior",
        "peroneus longus",
    ),
    BodyRegion.ANKLE_FOOT: (
        "flexor digitorum brevis",
        "abductor hallucis",
        "quadratus plantae",
    ),
}

# Where the lung lies under the needle: pneumothorax risk (SPEC §2 aftercare, §5 caution).
LUNG_FIELD_REGIONS: frozenset[BodyRegion] = frozenset({BodyRegion.CHEST, BodyRegion.UPPER_BACK})

# Lymphoedema: no needling in the affected limb. Each code names its limb: the patient's side and the regions of
# that limb (the shoulder and the hip are left out: they are charted for the muscles of the girdle; our judgement,
# see docs/CLINICAL.md). A bilateral site is in both limbs.
ARM_REGIONS = frozenset({BodyRegion.UPPER_ARM, BodyRegion.ELBOW, BodyRegion.FOREARM_HAND})
LEG_REGIONS = frozenset({BodyRegion.THIGH, BodyRegion.KNEE, BodyRegion.CALF, BodyRegion.ANKLE_FOOT})
LYMPHOEDEMA_LIMBS: dict[Precaution, tuple[str, Side, frozenset[BodyRegion]]] = {
    Precaution.LYMPHOEDEMA_LEFT_ARM: ("left arm", Side.LEFT, ARM_REGIONS),
    Precaution.LYMPHOEDEMA_RIGHT_ARM: ("right arm", Side.RIGHT, ARM_REGIONS),
    Precaution.LYMPHOEDEMA_LEFT_LEG: ("left leg", Side.LEFT, LEG_REGIONS),
    Precaution.LYMPHOEDEMA_RIGHT_LEG: ("right leg", Side.RIGHT, LEG_REGIONS),
}

# Which regions a condition is usually treated in; seeding and quick-picks follow it.
CONDITION_REGIONS: dict[Condition, tuple[BodyRegion, ...]] = {
    Condition.LOW_BACK_SCIATICA: (
        BodyRegion.LOWER_BACK,
        BodyRegion.HIP_GLUTEAL,
        BodyRegion.THIGH,
    ),
    Condition.NECK_HEADACHE: (
        BodyRegion.NECK,
        BodyRegion.UPPER_BACK,
        BodyRegion.HEAD_JAW,
    ),
    Condition.SHOULDER_ROTATOR_CUFF: (
        BodyRegion.SHOULDER,
        BodyRegion.UPPER_ARM,
        BodyRegion.NECK,
    ),
    Condition.TMJ_JAW: (BodyRegion.HEAD_JAW, BodyRegion.NECK),
    Condition.ELBOW_EPICONDYLALGIA: (
        BodyRegion.ELBOW,
        BodyRegion.FOREARM_HAND,
        BodyRegion.UPPER_ARM,
    ),
    Condition.HIP_IT_BAND: (BodyRegion.HIP_GLUTEAL, BodyRegion.THIGH, BodyRegion.KNEE),
    Condition.CALF_PLANTAR: (BodyRegion.CALF, BodyRegion.ANKLE_FOOT),
    Condition.WHIPLASH_SPORTS: (
        BodyRegion.NECK,
        BodyRegion.UPPER_BACK,
        BodyRegion.SHOULDER,
    ),
    Condition.POSTURAL_TENSION: (
        BodyRegion.NECK,
        BodyRegion.UPPER_BACK,
        BodyRegion.LOWER_BACK,
    ),
    Condition.ARTHRITIS: (BodyRegion.KNEE, BodyRegion.HIP_GLUTEAL, BodyRegion.SHOULDER),
    Condition.MIGRAINE: (BodyRegion.NECK, BodyRegion.HEAD_JAW),
    Condition.CARPAL_TUNNEL: (BodyRegion.FOREARM_HAND, BodyRegion.ELBOW),
    Condition.OTHER_CHRONIC_PAIN: (
        BodyRegion.LOWER_BACK,
        BodyRegion.NECK,
        BodyRegion.CALF,
    ),
}
