"""Builds the tbl-* regression messages in testdata/phi/observed from the
fixtures beside this script (python3 standard library only)."""
import email.policy
import os
from email.message import EmailMessage

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "..", "phi", "observed")


def read(name):
    with open(os.path.join(here, name), "rb") as f:
        return f.read()


def msg(subject, text=None, html=None):
    m = EmailMessage(policy=email.policy.SMTP)
    m["From"] = "frontdesk@northside-clinic.example"
    m["To"] = "billing@partner.example"
    m["Subject"] = subject
    m["Date"] = "Mon, 30 Nov 2026 09:12:00 +0000"
    m["Message-ID"] = "<" + subject.replace(" ", ".") + "@northside-clinic.example>"
    if html is not None:
        m.set_content(html.decode(), subtype="html", cte="quoted-printable")
    else:
        m.set_content(text, cte="7bit")
    return m


def write(slug, m, wants):
    with open(os.path.join(out, "tbl-" + slug + ".eml"), "wb") as f:
        f.write(m.as_bytes())
    with open(os.path.join(out, "tbl-" + slug + ".want"), "w") as f:
        f.write("\n".join(wants) + "\n")


os.makedirs(out, exist_ok=True)
ids = ["finding ssn", "finding mrn", "finding dob", "finding member_id", "flagged"]

m = msg("patient list", "Patient list for Monday attached.\n")
m.add_attachment(read("patients.csv"), maintype="text", subtype="csv", filename="patients.csv")
write("csv-patient-list", m, ids)

m = msg("patient list xlsx", "Patient list for Monday attached.\n")
m.add_attachment(read("patients.xlsx"), maintype="application",
                 subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="patients.xlsx")
write("xlsx-patient-list", m, ids)

m = msg("patient list ods", "Patient list for Monday attached.\n")
m.add_attachment(read("patients.ods"), maintype="application",
                 subtype="vnd.oasis.opendocument.spreadsheet", filename="patients.ods")
write("ods-patient-list", m, ids)

write("html-patient-table", msg("patient list html", html=read("patients.html")), ids)

m = msg("eligibility", "Eligibility check list attached.\n")
m.add_attachment(read("ssn-format.xlsx"), maintype="application",
                 subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="eligibility.xlsx")
write("xlsx-ssn-number-format", m, ["finding ssn", "flagged"])

m = msg("form grid", "See the attached export.\n")
m.add_attachment(read("split-ssn.csv"), maintype="application", subtype="octet-stream", filename="form grid.csv")
write("csv-split-ssn", m, ["finding ssn", "flagged"])

write("html-split-ssn", msg("form grid html", html=read("split-ssn-mail.html")), ["finding ssn", "flagged"])
write("html-comment-in-number", msg("referral", html=read("comment-mail.html")), ["finding ssn", "finding mrn", "flagged"])

m = msg("invoice 4471", "Invoice 4471 attached, thank you for your order.\n")
m.add_attachment(read("invoice.csv"), maintype="text", subtype="csv", filename="invoice-4471.csv")
write("csv-invoice-order-numbers", m, ["notflagged"])
