"""Dates (labelled) and look-alike fillers (unlabelled) on top of ``Values``."""

from __future__ import annotations

import datetime as dt
import hashlib
import string
import uuid

from _values import Values, luhn_ok

_PRODUCTS = (
    "wireless headphones", "standing desk", "espresso machine", "hiking boots", "USB-C dock",
    "yoga mat", "air purifier", "mechanical keyboard", "winter jacket", "smart thermostat",
    "office chair", "running shoes", "4K monitor", "blender", "backpack",
)
# Capitalised tool and product names that read like people or places.
_TOOLS = (
    "Jenkins", "Kafka", "Redis", "Django", "Ruby", "Jasmine", "Karma", "Mercury", "Hugo",
    "Phoenix", "Sentry", "Grafana", "Ansible", "Terraform", "Celery", "Flask", "Jupyter",
    "Apollo", "Atlas", "Helm", "Vault", "Consul", "Airflow", "Spark", "Gradle",
)
_FILES = (
    "app.py", "README.md", "backup.zip", "lib.rs", "deploy.sh", "intro.mov", "main.go",
    "settings.py", "index.ts", "build.gradle", "config.yaml", "report.pdf", "setup.cfg",
)
_REGIONS = ("us-east-1", "eu-west-2", "ap-south-1", "eu-central-1", "us-west-2")
_CURRENCY = ("$", "€", "£", "USD ", "EUR ", "GBP ", "INR ")


class Fillers(Values):
    """Adds dates and the unlabelled look-alikes used around and instead of PII."""

    def _day(self, start: int = 2019, end: int = 2025) -> dt.datetime:
        base = dt.datetime(start, 1, 1)
        span = (dt.datetime(end, 12, 31) - base).days
        return base + dt.timedelta(days=self.rng.randint(0, span), seconds=self.rng.randint(0, 86399))

    def _fmt_date(self, d: dt.datetime) -> str:
        day = d.day
        suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        return self.pick((
            d.strftime("%Y-%m-%d"), d.strftime("%d/%m/%Y"), d.strftime("%m/%d/%Y"),
            f"{d:%B} {day}, {d.year}", f"{day} {d:%B} {d.year}", f"{d:%b} {day}, {d.year}",
            d.strftime("%d.%m.%Y"), d.strftime("%d-%b-%Y"), f"{d:%A}, {d:%B} {day}, {d.year}",
            f"{day}{suffix} {d:%B} {d.year}", d.strftime("%Y/%m/%d"), f"{d:%B} {day}{suffix}, {d.year}",
        ))

    def date(self) -> str:
        return self._fmt_date(self._day())

    def dob(self) -> str:
        return self._fmt_date(self._day(1940, 2006))

    def timestamp(self) -> str:
        d = self._day(2023, 2025)
        ms = self.rng.randint(0, 999)
        return self.pick((
            d.strftime("%Y-%m-%dT%H:%M:%SZ"), d.strftime("%Y-%m-%d %H:%M:%S") + f",{ms:03d}",
            d.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}+01:00", d.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            d.strftime("%a, %d %b %Y %H:%M:%S GMT"), d.strftime("%Y-%m-%d %H:%M:%S"),
        ))

    # -- unlabelled look-alikes --------------------------------------------
    def order_id(self) -> str:
        return self.pick((f"ORD-{self.digits(8)}", f"#{self.digits(7)}", f"A{self.digits(9)}",
                          f"PO-{self.rng.randint(2019, 2025)}-{self.digits(5)}"))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def sha(self) -> str:
        data = self.digits(12).encode()
        sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return self.pick((hashlib.sha256(data).hexdigest(), sha1, md5, sha1[:7]))

    def semver(self) -> str:
        parts = [self.rng.randint(0, 12), self.rng.randint(0, 30), self.rng.randint(0, 40)]
        v = ".".join(map(str, parts))
        return self.pick((v, f"v{v}", f"{v}-rc.{self.rng.randint(1, 5)}", f"{v}.{self.rng.randint(0, 300)}"))

    def bad_luhn(self) -> str:
        while True:
            n = self.pick("3456") + self.digits(15)
            if not luhn_ok(n):
                break
        return self.pick((n, " ".join(n[i:i + 4] for i in range(0, 16, 4)),
                          "-".join(n[i:i + 4] for i in range(0, 16, 4))))

    def amount(self) -> str:
        value = self.rng.randint(1, 250000) / 100
        cur = self.pick(_CURRENCY)
        return self.pick((f"{cur}{value:,.2f}", f"{value:.2f} {cur.strip() or 'EUR'}"))

    def part_no(self) -> str:
        return self.pick((f"{self.digits(3)}-{self.digits(2)}-{self.digits(4)}",
                          f"PN-{self.digits(6)}", f"SKU {self.digits(4)}-{self.digits(3)}"))

    def isbn(self) -> str:
        body = "978" + self.digits(9)
        check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
        return f"{body[:3]}-{body[3]}-{body[4:8]}-{body[8:]}-{check}"

    def tracking(self) -> str:
        return self.pick((f"1Z{self._token(6, string.ascii_uppercase + string.digits)}{self.digits(10)}",
                          f"{self.digits(12)}", f"JD{self.digits(18)}"))

    def hexaddr(self) -> str:
        return f"0x{self.rng.getrandbits(48):012x}"

    def count(self) -> str:
        return str(self.rng.randint(1, 5000))

    def ms(self) -> str:
        return self.pick((f"{self.rng.randint(1, 2000)}ms", f"{self.rng.randint(1, 90)}.{self.digits(1)}s"))

    def pct(self) -> str:
        return f"{self.rng.randint(0, 100)}.{self.digits(1)}%"

    def port(self) -> str:
        return str(self.pick((80, 443, 5432, 6379, 8080, 8443, 9092, 27017, 3000)))

    def status(self) -> str:
        return str(self.pick((200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503)))

    def product(self) -> str:
        return str(self.pick(_PRODUCTS))

    def tool(self) -> str:
        return str(self.pick(_TOOLS))

    def file(self) -> str:
        return str(self.pick(_FILES))

    def region(self) -> str:
        return str(self.pick(_REGIONS))

    def bic(self) -> str:
        letters = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(4))
        return letters + self.pick(("DEFF", "GB2L", "FRPP", "NL2A", "ITMM"))

    def pod(self) -> str:
        app = self.pick(("api", "worker", "billing", "auth"))
        return f"{app}-{self._token(9, string.ascii_lowercase + string.digits)}-" \
               f"{self._token(5, string.ascii_lowercase)}"

    def git_remote(self) -> str:
        org, repo = self.pick(("acme", "infra", "platform")), self.pick(("api", "web", "etl"))
        return f"git@github.com:{org}/{repo}.git"

    def word(self) -> str:
        return str(self.faker("en_US").word())

    def issue(self) -> str:
        return str(self.pick((
            "the package never arrived", "I was charged twice", "the app crashes on login",
            "my refund has not shown up", "I cannot reset my password", "the invoice total is wrong",
            "the delivery address needs to change", "my subscription renewed without notice",
        )))
