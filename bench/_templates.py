"""Prose templates by category. «LABEL» is a labelled value (see _values.GENERATORS),
«LABEL:k» repeats the value named k, «filler» is an unlabelled look-alike."""

from __future__ import annotations

TEMPLATES: dict[str, tuple[str, ...]] = {
    "llm_prompt": (
        "Summarize this complaint from «PERSON» («EMAIL») in two sentences: «issue», and "
        "they want a callback on «PHONE».",
        "You are a support assistant. Customer: «PERSON». Account IBAN: «IBAN». Question: why "
        "was «amount» taken on «DATE»?",
        "Rewrite the following note more politely:\n\"«FIRST», your card «CARD» was declined "
        "again. Call us.\"",
        "Translate to German: My name is «PERSON» and I live at «STREET», «CITY».",
        "Extract the fields as JSON from: «PERSON», born «DOB», SSN «SSN», phone «PHONE».",
        "Draft a reply to «PERSON» who wrote from «EMAIL» asking about order «order_id» "
        "shipped to «CITY», «COUNTRY».",
        "Classify the sentiment of this review by «FIRST» from «LOC»: \"«issue», never again.\"",
        "Given the server log line `«STAMP» login failed for «EMAIL» from «IP»`, explain the "
        "likely cause.",
        "Help me write a cover letter. I'm «PERSON», «PHONE», «EMAIL», currently in «CITY». "
        "Portfolio: «URL»",
        "Check if this IBAN is formatted correctly: «IBAN» (account holder «PERSON»).",
        "Write a short bio for «PERSON», a nurse from «CITY», «STATE», born «DOB».",
        "Why does «tool» «semver» fail to start on port «port»? Trace id «uuid».",
    ),
    "chat": (
        "user: hi, I'm «PERSON» and I can't log in 😕 my email is «EMAIL»\n"
        "assistant: Sorry to hear that! I've sent a reset link.",
        "user: can you update my number to «PHONE»?\nassistant: Done. Anything else?\n"
        "user: yes, my new address is «STREET», «CITY»",
        "customer: card ending isn't enough? full number is «CARD»\n"
        "agent: Please never share your full card number here.",
        "user: my SSN is «SSN», why do you need it?\nbot: We only need it for tax forms.",
        "[«FIRST»]: meeting moved to «DATE», I'll be flying in from «CITY» 👍\n[«FIRST:b»]: ok!",
        "user: the refund of «amount» went to «IBAN» but I closed that account\n"
        "assistant: I'll flag it for the billing team.",
        "user: pls send the invoice to «EMAIL» not «EMAIL:b»\nassistant: Updated 📧",
        "user: which of your stores is closest to «LOC»?\nassistant: The one in «CITY».",
        "user: I was born on «DOB», can I still get the student discount?\nassistant: Sadly no.",
        "user: found this link «URL» is it legit?\nassistant: It is not one of our domains.",
        "user: hey it's «FIRST» again, call me at «PHONE» after 5",
        "user: my order «order_id» still says processing 😤\nassistant: It ships tomorrow.",
    ),
    "email": (
        "From: «PERSON:p» <«EMAIL»>\nTo: «ORGMAIL»\nSubject: Refund for «order_id»\n\n"
        "Hello,\n\n«issue». Please refund «amount» to «IBAN».\n\nThanks,\n«PERSON:p»\n«PHONE»",
        "Hi «FIRST»,\n\nThanks for contacting us. We've updated the delivery address to «STREET», "
        "«CITY», «COUNTRY». Your parcel should arrive by «DATE».\n\nBest regards,\n«PERSON»\n"
        "Customer Care | «PHONE»",
        "Dear «PERSON»,\n\nWe noticed a login to your account from «IP» («CITY») on «STAMP». "
        "If this wasn't you, reset your password at «URL».\n\nSecurity Team",
        "Hello team,\n\n«PERSON» (DOB «DOB», NI number «NINO») starts on «DATE». Please set up "
        "payroll; bank details: «IBAN».\n\nCheers,\n«FIRST»",
        "Subject: Chargeback on card «CARD»\n\nHi, this is «PERSON». «issue» and my bank says "
        "you charged «amount». Reach me on «PHONE» or «EMAIL».",
        "Hi,\nplease remove me from your list. My address is «EMAIL». Regards, «PERSON»",
        "Dear support,\nmy NHS number is «NHS» and the clinic in «CITY» lost my file. "
        "Could you forward it to «EMAIL»?\n«PERSON»",
        "Hello «FIRST»,\nyour appointment is confirmed for «DATE» at our «CITY» office, "
        "«STREET». Questions? Call «PHONE».",
        "On «STAMP», «PERSON» <«EMAIL»> wrote:\n> «issue»\n\nForwarding to billing.",
    ),
    "note": (
        "Called «FIRST» back at «PHONE» re: refund; she moved to «CITY», «COUNTRY».",
        "Visitor log: «PERSON», badge 42, arrived «STAMP», escorted by «FIRST».",
        "Patient «PERSON» (DOB: «DOB») reports «issue». Follow-up «DATE».",
        "Met «PERSON» at the «CITY» conference; wants a demo. «EMAIL», «PHONE».",
        "Reminder: «FIRST»'s passport copy is in the shared drive, SSN «SSN» on file.",
        "Tenant «PERSON», «STREET», «CITY», «STATE». Rent «amount» due «DATE».",
        "Shipping to «PERSON», «STREET», «CITY» – signature required. Phone «PHONE».",
        "«FIRST» from «LOC» asked about Aadhaar «AADHAAR» / PAN «PAN» verification.",
        "Applicant «PERSON», SIN «SIN», relocating from «CITY» to «CITY:b».",
    ),
    "form": (
        "Full name: «PERSON»\nDate of birth: «DOB»\nAddress: «STREET»\nCity: «CITY»\n"
        "Phone: «PHONE»\nEmail: «EMAIL»",
        "Name | «PERSON»\nSSN | «SSN»\nDOB | «DOB»\nState | «STATE»",
        "APPLICANT: «PERSON»\nD.O.B.: «DOB»\nNATIONAL INSURANCE NO: «NINO»\nTEL: «PHONE»",
        "Cardholder: «PERSON»\nCard number: «CARD»\nBilling address: «STREET», «CITY», «COUNTRY»",
        "First name: «FIRST»\nLast login IP: «IP»\nWebsite: «URL»\nCountry: «COUNTRY»",
        "Beneficiary: «PERSON»\nIBAN: «IBAN»\nBIC: «bic»\nReference: «order_id»",
        "Emergency contact: «PERSON» — «PHONE» («CITY»)\nSigned on «DATE»",
        "Patient: «PERSON»   DOB: «DOB»   NHS No: «NHS»\nGP surgery: «CITY»",
    ),
}

PII_FREE: tuple[str, ...] = (
    "Order «order_id» total «amount», «count» items, tracking «tracking».",
    "Deployed «tool» «semver» to «region» in «ms»; build «sha» passed «count» tests.",
    "Payment reference «bad_luhn» matched invoice INV-«count» for «amount».",
    "request_id=«uuid» status=«status» duration=«ms» bytes=«count»",
    "Upgraded «tool» from «semver» to «semver» (commit «sha»).",
    "Part no. «part_no» back in stock: «count» units of «product» at «amount».",
    "ISBN «isbn», «count» copies, reorder at «pct» stock.",
    "Segfault at «hexaddr» in «file», retrying («count»/5).",
    "cache hit ratio «pct», p99 «ms», pod «pod» restarted «count» times",
    "Refund ref «bad_luhn» rejected: amount «amount» exceeds limit.",
    "Bank BIC «bic» added to the allow-list for batch «uuid».",
    "Cloning «git_remote» into /srv/«file» took «ms».",
    "Q3 revenue up «pct» to «amount»; «product» was the top seller.",
    "«tool» job «uuid» finished: «count» rows, checksum «sha».",
    "Ticket «order_id»: «product» arrives in «count» days, cost «amount».",
    "Version «semver» of «file» has hash «sha» and size «count» KB.",
)
