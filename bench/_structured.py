"""Templates for machine text: log lines, JSON and CSV rows, code and config snippets.

Same placeholder syntax as _templates. A log record is one to four lines; a CSV
record is a header and two to five rows, each row with fresh values.
"""

from __future__ import annotations

LOG_PREFIXES: tuple[str, ...] = (
    "«STAMP» INFO  ", "«STAMP» WARN  [«pod»] ", "[«STAMP»] ERROR ", "«STAMP» level=info ",
    "INFO:app.auth:", "W ", "level=debug ", "",
)

LOG_LINES: tuple[str, ...] = (
    "auth.login user=«EMAIL» ip=«IP» status=«status» latency=«ms»",
    "login failed for user «EMAIL» from «IP4» (attempt «count»)",
    "password reset requested email=«EMAIL» request_id=«uuid»",
    "payment authorised card=«CARD» amount=«amount» order=«order_id»",
    "sms sent to «PHONE» template=otp_v2 provider=twilio",
    "GET «URL» «status» «ms» ua=\"Mozilla/5.0\" client=«IP»",
    "user_id=«count» name=\"«PERSON»\" updated shipping_city=«CITY»",
    "payout queued iban=«IBAN» amount=«amount» batch=«uuid»",
    "kyc check ssn=«SSN» result=pass",
    "connection from «IP6» port «port» accepted",
    "session «uuid» started by «EMAIL» in «COUNTRY»",
    "customer «PERSON» <«EMAIL»> opened ticket «order_id»",
    "token issued sub=«count» jwt=«JWT»",
    "git push by «FIRST» to «git_remote» rejected: secret detected «GHTOKEN»",
    "webhook delivered to «URL» in «ms»",
    "cache miss key=user:«count»:profile ttl=«count»",
    "job «uuid» completed rows=«count» took=«ms»",
    "dob mismatch for account «count»: submitted «DOB»",
)

JSON_RECORDS: tuple[str, ...] = (
    '{"id": «count», "name": "«PERSON»", "email": "«EMAIL»", "phone": "«PHONE»"}',
    '{"customer": {"full_name": "«PERSON»", "dob": "«DOB»", "ssn": "«SSN»"}, "plan": "pro"}',
    '{"order": "«order_id»", "ship_to": {"street": "«STREET»", "city": "«CITY»", '
    '"country": "«COUNTRY»"}, "total": "«amount»"}',
    '{"event": "login", "user": "«EMAIL»", "ip": "«IP»", "ts": "«STAMP»"}',
    '{"payment": {"card": "«CARD»", "holder": "«PERSON»"}, "status": «status»}',
    '{"beneficiary": "«PERSON»", "iban": "«IBAN»", "reference": "«uuid»"}',
    '{"profile_url": "«URL»", "display_name": "«FIRST»", "location": "«LOC»"}',
    '{"messages": [{"role": "user", "content": "I am «PERSON», reach me at «PHONE»"}]}',
    '{"employee": "«PERSON»", "ni_number": "«NINO»", "start_date": "«DATE»"}',
    '{"patient": "«PERSON»", "nhs_number": "«NHS»", "clinic": "«CITY»"}',
)

CSV_TABLES: tuple[tuple[str, str], ...] = (
    ("id,name,email,phone", "«count»,«PERSON»,«EMAIL»,«PHONE»"),
    ("customer_id,full_name,date_of_birth,ssn", "«count»,«PERSON»,«DOB»,«SSN»"),
    ("name;city;country", "«PERSON»;«CITY»;«COUNTRY»"),
    ("timestamp,src_ip,user,action", "«STAMP»,«IP»,«EMAIL»,login"),
    ("holder,card_number,amount", "\"«PERSON»\",«CARD»,«amount»"),
    ("payee,iban,amount,reference", "«PERSON»,«IBAN»,«amount»,«order_id»"),
    ("sku,product,qty,price", "«part_no»,«product»,«count»,«amount»"),
)

CODE_SNIPPETS: tuple[str, ...] = (
    'ADMIN_EMAIL = "«EMAIL»"\nSUPPORT_PHONE = "«PHONE»"\n',
    "aws_access_key_id = «AWS»\naws_secret_access_key = «AWSSECRET»\nregion = «region»\n",
    'headers = {"Authorization": "Bearer «JWT»"}\nresp = requests.get(url, headers=headers)\n',
    "# TODO(«FIRST»): remove the test card «CARD» before release\n"
    "def charge(amount):\n    return gateway.charge(amount)\n",
    "export GITHUB_TOKEN=«GHTOKEN»\ngit clone «git_remote»\n",
    "const testUser = { name: '«PERSON»', email: '«EMAIL»', dob: '«DOB»' };\n",
    'assert validate_iban("«IBAN»")  # sample from «PERSON»\n',
    "SELECT * FROM users WHERE email = '«EMAIL»' AND last_ip = '«IP»';\n",
    "// contact «PERSON» («EMAIL») before changing «file»\nfunction retry(n) { return n * 2; }\n",
    "ALLOWED_HOSTS = ['«IP4»', 'localhost']\nDEBUG = False\n",
)

CONFIG_SNIPPETS: tuple[str, ...] = (
    "[owner]\nname = \"«PERSON»\"\nemail = \"«EMAIL»\"\n\n[server]\nport = «port»\n",
    "notify:\n  email: «EMAIL»\n  sms: \"«PHONE»\"\nretries: 3\n",
    "AWS_ACCESS_KEY_ID=«AWS»\nAWS_DEFAULT_REGION=«region»\nLOG_LEVEL=info\n",
    "upstream backend {\n  server «IP4»:«port»;\n  server «IP4:b»:«port»;\n}\n",
    "maintainer: «PERSON» <«EMAIL»>\nhomepage: «URL»\nversion: «semver»\n",
    "[billing]\npayout_iban = «IBAN»\nstatement_email = «EMAIL»\n",
    "allow_from:\n  - «IP»\n  - «IP6»\ncontact: «PHONE»\n",
)

PII_FREE_LOGS: tuple[str, ...] = (
    "GET /api/v2/orders/«count» «status» «ms» req=«uuid»",
    "worker «pod» processed «count» messages lag=«ms»",
    "checksum «sha» verified for «file» («count» bytes)",
    "invoice ref «bad_luhn» reconciled amount=«amount»",
    "build «semver» sha=«sha» tests=«count» coverage=«pct»",
    "heap at «hexaddr» freed «count» objects in «ms»",
    "order «order_id» state=shipped carrier_ref=«tracking»",
    "«tool» reconnect attempt «count» to «region» after «ms»",
)

PII_FREE_STRUCTURED: tuple[str, ...] = (
    '{"order_id": "«order_id»", "sku": "«part_no»", "qty": «count», "total": "«amount»"}',
    '{"build": "«semver»", "commit": "«sha»", "artifact": "«file»", "size": «count»}',
    '{"trace_id": "«uuid»", "status": «status», "latency": "«ms»", "region": "«region»"}',
    "sku,product,qty,price\n«part_no»,«product»,«count»,«amount»\n«part_no»,«product»,«count»,«amount»",
    '[deps]\n«tool» = "«semver»"\n«tool» = "«semver»"\n',
    "ref,amount,status\n«bad_luhn»,«amount»,«status»\n«bad_luhn»,«amount»,«status»",
    'image: registry.local/«tool»:«semver»\ndigest: sha256:«sha»\nreplicas: «count»\n',
)
