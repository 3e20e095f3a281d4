"""The encrypted personal-data vault.

Records are stored per subject, every field sealed with AES-256-GCM under the
subject's own data key (wrapped by a key-encryption key from a ``KeyProvider``, in a
separate key database). Collections declare their fields and purposes
(minimization); reads see only a purpose's fields and only subjects whose consent
covers it; retention deadlines, residency and regulation profiles are data; erasure
destroys the subject's key so that every copy of its ciphertexts, backups included,
becomes unreadable.
"""

from __future__ import annotations

from veil.vault._artifacts import Artifact
from veil.vault._consent import ConsentEvent, ConsentLedger
from veil.vault._derived import DerivedStore, InMemoryDerivedStore, SqlTableDerivedStore
from veil.vault._guard import Actor
from veil.vault._keystore import EpochReport, KeyStore, RewrapReport
from veil.vault._lifecycle import Dataset, Erasure, SubjectData, SweepReport
from veil.vault._profiles import ProfileSet, RegulationProfile, load_profile, shipped_profiles
from veil.vault._records import Record
from veil.vault._schema import CollectionSpec, FieldSpec, FieldType, Purpose, VaultSchema
from veil.vault._subjects import Subject
from veil.vault._taxonomy import Category, ConsentModel, LegalBasis, RequestKind
from veil.vault._vault import Vault

__all__ = [
    "Actor",
    "Artifact",
    "Category",
    "CollectionSpec",
    "ConsentEvent",
    "ConsentLedger",
    "ConsentModel",
    "Dataset",
    "DerivedStore",
    "EpochReport",
    "Erasure",
    "FieldSpec",
    "FieldType",
    "InMemoryDerivedStore",
    "KeyStore",
    "LegalBasis",
    "ProfileSet",
    "Purpose",
    "Record",
    "RegulationProfile",
    "RequestKind",
    "RewrapReport",
    "SqlTableDerivedStore",
    "Subject",
    "SubjectData",
    "SweepReport",
    "Vault",
    "VaultSchema",
    "load_profile",
    "shipped_profiles",
]
