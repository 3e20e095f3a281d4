"""Entity types. Names follow Presidio's where Presidio has one."""

from __future__ import annotations

from enum import StrEnum


class Entity(StrEnum):
    # people, places, organisations (NER plug-in, gazetteers)
    PERSON = "PERSON"
    LOCATION = "LOCATION"
    ORGANIZATION = "ORGANIZATION"
    NRP = "NRP"
    # contact and online identifiers
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    URL = "URL"
    IP_ADDRESS = "IP_ADDRESS"
    MAC_ADDRESS = "MAC_ADDRESS"
    STREET_ADDRESS = "STREET_ADDRESS"
    # time
    DATE_TIME = "DATE_TIME"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    # financial
    CREDIT_CARD = "CREDIT_CARD"
    IBAN_CODE = "IBAN_CODE"
    CRYPTO = "CRYPTO"
    # government identifiers
    US_SSN = "US_SSN"
    US_ITIN = "US_ITIN"
    PASSPORT = "PASSPORT"
    DRIVER_LICENSE = "DRIVER_LICENSE"
    UK_NINO = "UK_NINO"
    UK_NHS = "UK_NHS"
    DE_TAX_ID = "DE_TAX_ID"
    FR_NIR = "FR_NIR"
    ES_NIF = "ES_NIF"
    ES_NIE = "ES_NIE"
    IT_FISCAL_CODE = "IT_FISCAL_CODE"
    NL_BSN = "NL_BSN"
    IN_AADHAAR = "IN_AADHAAR"
    IN_PAN = "IN_PAN"
    CA_SIN = "CA_SIN"
    AU_TFN = "AU_TFN"
    BR_CPF = "BR_CPF"
    # secrets
    AWS_ACCESS_KEY = "AWS_ACCESS_KEY"
    AWS_SECRET_KEY = "AWS_SECRET_KEY"
    GCP_API_KEY = "GCP_API_KEY"
    AZURE_KEY = "AZURE_KEY"
    GITHUB_TOKEN = "GITHUB_TOKEN"
    GITLAB_TOKEN = "GITLAB_TOKEN"
    SLACK_TOKEN = "SLACK_TOKEN"
    STRIPE_KEY = "STRIPE_KEY"
    TWILIO_KEY = "TWILIO_KEY"
    SENDGRID_KEY = "SENDGRID_KEY"
    OPENAI_API_KEY = "OPENAI_API_KEY"
    ANTHROPIC_API_KEY = "ANTHROPIC_API_KEY"
    HUGGINGFACE_TOKEN = "HUGGINGFACE_TOKEN"
    NPM_TOKEN = "NPM_TOKEN"
    PYPI_TOKEN = "PYPI_TOKEN"
    JWT = "JWT"
    PRIVATE_KEY = "PRIVATE_KEY"
    CONNECTION_STRING = "CONNECTION_STRING"
    #: A provider credential that has no entity type of its own (Shopify, Vault, Grafana, ...).
    API_KEY = "API_KEY"
    GENERIC_SECRET = "GENERIC_SECRET"

    @property
    def is_secret(self) -> bool:
        return self in SECRET_ENTITIES


SECRET_ENTITIES: frozenset[Entity] = frozenset(
    e for e in Entity if e.value in {
        "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "GCP_API_KEY", "AZURE_KEY", "GITHUB_TOKEN",
        "GITLAB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "TWILIO_KEY", "SENDGRID_KEY",
        "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HUGGINGFACE_TOKEN", "NPM_TOKEN", "PYPI_TOKEN",
        "JWT", "PRIVATE_KEY", "CONNECTION_STRING", "API_KEY", "GENERIC_SECRET",
    }
)

#: A custom recognizer may name an entity of its own; built-ins always use Entity.
EntityName = Entity | str
