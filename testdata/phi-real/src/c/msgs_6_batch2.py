MSGS = [
# ---------------- billing
dict(cat='c-billing', slug='eligibility-mbi-question', phi=True, why='eligibility question quoting a Medicare beneficiary\'s name, MBI and SSN',
 where=['body'], subj='elig question - MA vs traditional?',
 **{'from': 'Patient Access <registration@lakeshoremg.org>'}, to='Jorge Villanueva <jvillanueva@lakeshoremg.org>', date='Wed, 2 Dec 2026 10:41:00 -0600',
 body='''Jorge,

Pt at front desk says she switched to a Medicare Advantage plan in Oct but HETS still shows traditional Part A/B.

Loretta Fairbanks
MBI 3WK7-FN2-RT48
SSN 412-68-3307 (she gave it, the card is from 1998)

Do we bill GLHP Medicare Advantage or CMS? She's here for her infusion at 11.

Thx, Alicia - Registration
'''),
dict(cat='c-billing', slug='coding-denial-appeal-template', phi=False, why='appeal letter template with bracketed placeholders, no real patient',
 where=['body'], subj='Updated appeal template for CO-50 denials',
 **{'from': 'Karen Pulaski <kpulaski@lakeshoremg.org>'}, to='Denials Team <denials@lakeshoremg.org>', date='Thu, 26 Nov 2026 07:30:00 -0600',
 body='''Please start using this version (Legal approved it Tuesday):

---
RE: Request for Reconsideration
Member name: [MEMBER NAME]
Member ID: [MEMBER ID]
Date of service: [DOS]
Claim number: [CLAIM #]

Dear Medical Director,

We are requesting reconsideration of the denial of the above claim for lack of medical necessity (CARC 50). The enclosed documentation shows that [SERVICE] was medically necessary because [CLINICAL RATIONALE citing guideline]...
---

Don't paste clinical notes into the email body when you send these - attach the PDF through the payer portal.

Karen
'''),
dict(cat='c-billing', slug='price-transparency-file', phi=False, why='price transparency machine-readable file notice; CPT codes and prices only',
 where=['body'], subj='Annual price transparency MRF posted',
 **{'from': 'Compliance <compliance@lakeshorehealth.org>'}, to='Revenue Cycle Leadership <revcycle-leads@lakeshorehealth.org>', date='Mon, 30 Nov 2026 15:00:00 -0600',
 body='''The 2027 standard charges machine-readable file (CMS v2.2 schema) is live at lakeshorehealth.org/price-transparency. Includes 18,400 items; gross charges, discounted cash price, payer-specific negotiated charges and de-identified min/max.

Shoppable services display (70 CMS-specified + 230 of ours) also refreshed.

Please send discrepancies to compliance@ by 12/15.
'''),
dict(cat='c-billing', slug='vendor-invoice-card-on-file', phi=False, why='vendor subscription receipt for the practice\'s corporate card (masked); no patient, no full card number',
 where=['body'], subj='Your receipt from UpToDate - Invoice 2026-118842',
 **{'from': 'Wolters Kluwer Billing <billing@wolterskluwer.example.com>'}, to='ap@lakeshorehealth.org', date='Tue, 1 Dec 2026 04:12:00 -0500',
 body='''Thank you for your payment.

Account: Lakeshore Health System (acct 00551207)
Product: UpToDate Anywhere - 240 seats
Period: 01/01/2027 - 12/31/2027
Amount: $118,560.00
Paid with: Mastercard ****5092

Questions: 1-800-555-0112
'''),
# ---------------- quality
dict(cat='c-quality', slug='mock-tracer-results', phi=False, why='mock survey findings by unit and TJC standard; charts referenced only by tracer number',
 where=['attachment:pdf'], subj='Nov mock tracer results',
 **{'from': 'Lena Marsh <lmarsh@lakeshorehealth.org>'}, to='Nurse Managers <nurse-managers@lakeshorehealth.org>', date='Wed, 2 Dec 2026 16:05:00 -0600',
 body='''Results from the November mock tracers attached. 2 open findings (ED clutter, L&D HLD log). Please send your action plans to me by 12/11.

Lena
''', atts=[('MockTracer_Nov2026.pdf', 'mock_survey_results.pdf')]),
dict(cat='c-quality', slug='mortality-review-names', phi=True, why='mortality review request with decedent name, MRN, dates and cause of death',
 where=['body'], subj='Mortality review assignment - M&M January',
 **{'from': 'Quality Dept <quality@lakeshorehealth.org>'}, to='Dr. Erik Lindqvist <elindqvist@lakeshorehealth.org>', date='Mon, 7 Dec 2026 09:00:00 -0600',
 body='''Dr. Lindqvist,

You have been assigned the following mortality for January M&M review:

Decedent: Harlan Stuckey   MRN 00640932
Admit 10/04/2026 - expired 10/09/2026
Principal dx: septic shock due to perforated diverticulitis (K57.20, R65.21); post-op day 3 s/p Hartmann procedure
Attending: Dr. T. Abernathy

Please complete the structured review form in the peer review module by 1/8.

Quality Department
'''),
dict(cat='c-quality', slug='hipaa-policy-revision', phi=False, why='privacy policy docx describing identifiers with placeholders only',
 where=['attachment:docx'], subj='For comment: PRV-014 Minimum Necessary (rev. 2027)',
 **{'from': 'Privacy Office <privacy@lakeshorehealth.org>'}, to='Policy Committee <policy-committee@lakeshorehealth.org>', date='Fri, 20 Nov 2026 13:30:00 -0600',
 body='''Attached is the revised Minimum Necessary policy. Main change is section 2, which now lists the identifiers that may never go out by unencrypted email, and a new example in section 3.

Comments by 12/4 please.

Privacy Office
''', atts=[('PRV-014_MinimumNecessary_rev2027_DRAFT.docx', 'hipaa_policy_docx.docx')]),
dict(cat='c-quality', slug='leapfrog-survey-deadline', phi=False, why='Leapfrog survey reminder; facility-level',
 where=['body'], subj='FW: Leapfrog Hospital Survey - resubmission window',
 **{'from': 'Ruth Eilers <reilers@lakeshorehealth.org>'}, to='Lena Marsh <lmarsh@lakeshorehealth.org>', date='Tue, 1 Dec 2026 11:20:00 -0600',
 body='''Lena - FYI, we can still fix the CPOE section before the 12/31 resubmission. I'll rerun the CPOE evaluation tool next week.

-----Original Message-----
From: The Leapfrog Group <survey@leapfroggroup.org>
Sent: Tuesday, December 1, 2026 9:00 AM
Subject: Leapfrog Hospital Survey - resubmission window

Hospitals may resubmit survey sections through December 31, 2026. Scores will be refreshed in January.
'''),
dict(cat='c-quality', slug='safety-event-aggregate', phi=False, why='safety event reporting volumes by category and harm level',
 where=['body'], subj='SafetyNet reports - November',
 **{'from': 'Marisol Castellanos <mcastellanos@lakeshorehealth.org>'}, to='QPS Committee <qps@lakeshorehealth.org>', date='Thu, 3 Dec 2026 07:45:00 -0600',
 body='''November SafetyNet: 284 reports (Oct 301)

By category: medication 71, falls 38, skin/pressure injury 22, lab/specimen 29, equipment 18, behavior/security 24, other 82
By harm: no harm/near miss 241, minor 37, moderate 5, severe 1 (RCA in progress, 26-0871 is October)

Near-miss reporting is up 12%, which is what we want.

Marisol
'''),
# ---------------- research
dict(cat='c-research', slug='redcap-export-zip', phi=True, why='zipped REDCap export with participant names, DOBs, phone and insomnia/depression scores',
 where=['attachment:zip'], subj='export for the DSMB tables',
 **{'from': 'Priyanka Shah <pshah2@lakeshore-u.edu>'}, to='Anjali Desai <adesai@lakeshore-u.edu>', date='Mon, 30 Nov 2026 17:10:00 -0600',
 body='''Hi Dr. Desai,

Here's the full export you asked for the DSMB tables - I zipped it because Outlook blocked the csv. I wasn't sure if I should use the de-identified export profile, sorry if this is the wrong one.

Priyanka
''', atts=[('RESTCBT_export_1130.zip', 'redcap_export_1130.zip')]),
dict(cat='c-research', slug='dsmb-meeting-notice', phi=False, why='DSMB meeting logistics and closed-session note; aggregate only',
 where=['body'], subj='DSMB meeting 12/14 - open and closed sessions',
 **{'from': 'Anjali Desai <adesai@lakeshore-u.edu>'}, to='REST-CBT DSMB <restcbt-dsmb@lakeshore-u.edu>', date='Tue, 1 Dec 2026 12:00:00 -0600',
 body='''Dear DSMB members,

Our semi-annual DSMB meeting is Monday 12/14, 3-5 PM (Zoom). Open session 3:00-3:45 with the study team; closed session after. The unblinded report (by arm, aggregate, no identifiers) will be sent by the unblinded statistician on 12/7 through the secure file share.

Enrollment: 96 of 240. 3 serious adverse events to date, none judged related.

Thank you,
Anjali
'''),
dict(cat='c-research', slug='honest-broker-sop', phi=False, why='SOP text about handling MRN/DOB columns in research extracts; no values',
 where=['body'], subj='RDW honest broker SOP v2 - summary of changes',
 **{'from': 'Research Data Warehouse <rdw-requests@lakeshorehealth.org>'}, to='Research Coordinators <research-coords@lakeshorehealth.org>', date='Wed, 18 Nov 2026 10:00:00 -0600',
 body='''Summary of SOP RDW-03 v2 changes:

- Extracts with direct identifiers (name, MRN, DOB, SSN, address) are released only to the honest broker share, never by email.
- De-identified extracts replace DOB with age (90+ top-coded) and dates with day offsets from index.
- Requests must cite the IRB number and the approved data dictionary version.
- Recontact lists for recruitment need a separate HIPAA waiver and go through the Epic research recruitment workflow.

Full SOP on the Research SharePoint.
'''),
dict(cat='c-research', slug='journal-club-case-deidentified', phi=False, why='journal club case vignette with age/sex only, explicitly fictionalized',
 where=['body'], subj='Peds journal club - case for discussion',
 **{'from': 'Dr. Alana Kimura <akimura@lakeshorehealth.org>'}, to='Peds Residents <peds-residents@lakeshorehealth.org>', date='Thu, 19 Nov 2026 20:30:00 -0600',
 body='''For Tuesday's journal club (bronchiolitis high-flow trial), here's a teaching case - details changed, composite of several:

A 4-month-old previously healthy infant presents in January with 2 days of cough and rhinorrhea, RR 68, SpO2 89% on room air, moderate retractions. RSV positive.

Questions: 1) Would you start HFNC on the floor? 2) What did the PARIS trial actually show about escalation?

-AK
'''),
# ---------------- ops
dict(cat='c-ops', slug='cathlab-consignment-inventory', phi=False, why='cath lab consignment inventory with lots and expiry, no patient linkage',
 where=['attachment:xlsx'], subj='Cath lab consignment count 12/1',
 **{'from': '"Dominguez, Hector" <hdominguez@lakeshorehealth.org>'}, to='Boston Scientific Rep <jfarrell@bsci.example.com>; Medtronic Rep <tkhan@mdt.example.com>', date='Tue, 1 Dec 2026 15:40:00 -0600',
 body='''Hi both,

Monthly consignment count attached. We're under par on the 3.0x18 and 3.5x23 DES. Guidewire lot 6071941 expires 12/31 - can you rotate it out?

Thanks,
Hector
''', atts=[('CathLab_Consignment_20261201.xlsx', 'cathlab_inventory.xlsx')]),
dict(cat='c-ops', slug='pharmacy-patient-specific-compounding', phi=True, why='pharmacy compounding request names the patient with weight and chemo regimen',
 where=['body'], subj='IV room - tomorrow AM batch incl. 1 pt-specific',
 **{'from': 'Tran Le <tle@lakeshorehealth.org>'}, to='IV Room Techs <ivroom@lakeshorehealth.org>', date='Wed, 2 Dec 2026 18:10:00 -0600',
 body='''Tomorrow's 0600 batch:
 - cefazolin 2 g minibags x 40
 - vanco 1 g x 20, 1.25 g x 12
 - oxytocin 30 units/500 mL x 10

Pt-specific, needs double check: Elaine Whitley, infusion center chair 6, 61.2 kg - trastuzumab 6 mg/kg = 367 mg in 250 mL NS, maintenance dose. Hold until onc pharmacist verifies labs.

Tran
'''),
dict(cat='c-ops', slug='it-ticket-printer-queue', phi=False, why='helpdesk ticket about a label printer; mentions wristbands generically',
 where=['body'], subj='INC0091144 - ED wristband printer not printing',
 **{'from': 'ServiceNow <servicenow@lakeshorehealth.org>'}, to='Naveen Kulkarni <nkulkarni@lakeshorehealth.org>', date='Sun, 29 Nov 2026 04:02:00 -0600',
 body='''Incident INC0091144 has been assigned to you.

Caller: ED Registration (x3301)
Short description: Zebra wristband printer ED-REG-02 prints blank bands
Priority: 2 - High
Configuration item: PRN-ED-REG-02 (Zebra HC100, 10.44.12.87)
Work notes: Swapped ribbon, still blank. Registration is handwriting bands with the downtime kit. Please check the print server queue.
'''),
dict(cat='c-ops', slug='nurse-staffing-grid', phi=False, why='staffing grid by unit with census numbers only',
 where=['body'], subj='Staffing plan - night of 12/2',
 **{'from': 'Staffing Office <staffing@lakeshorehealth.org>'}, to='House Supervisors <house-sups@lakeshorehealth.org>', date='Wed, 2 Dec 2026 14:30:00 -0600',
 body='''Night 12/2 (1900-0730)

Unit    Census  RN need  RN sched  Gap
MICU    14      7        7         0
5W      28      6        5         -1  (Moreno picked up? confirm)
6N      30      6        6         0
4S      24      5        5         0
ED      -       14       12        -2  (agency x1 confirmed)

Float pool: Devon Price, Aisha Grant
Call-off line: x7300
'''),
dict(cat='c-ops', slug='code-drill-notice', phi=False, why='emergency drill announcement with mock patients',
 where=['body'], subj='Mass casualty drill Wed 12/9 - moulage volunteers',
 **{'from': 'Emergency Management <em@lakeshorehealth.org>'}, to='All Staff <allstaff@lakeshorehealth.org>', date='Wed, 2 Dec 2026 07:00:00 -0600',
 body='''Heads-up: we're running a regional mass casualty drill Wednesday 12/9 from 0900-1200 with the fire department. Around 30 moulaged volunteer "patients" from the nursing school will arrive at the ED ambulance bay with simulated injuries (burns, crush injuries, one simulated cardiac arrest).

Mock patients will wear orange "DRILL" wristbands with names like "Drill Patient 14". Please don't enter them in live Epic - use the drill environment.

Emergency Management
'''),
# ---------------- community
dict(cat='c-community', slug='newsletter-reply-patient', phi=True, why='patient replies to newsletter describing her own diabetes, A1c and insulin, asks for her doctor',
 where=['body', 'quoted'], subj='Re: Healthy Lakeshore - Winter 2026 newsletter',
 **{'from': 'Odessa Bell <odessab1968@yahoo.com>'}, to='Lakeshore Health <news@lakeshorehealth.org>', date='Wed, 2 Dec 2026 22:14:00 -0600',
 body='''hello I read the diabetes tips. my A1c was 11.2 last month and Dr Tanaka put me on insulin after I was in the hospital with the DKA. can the diabetes educator call me? 312-555-0190. I dont have mychart

Odessa Bell

-----Original Message-----
From: Lakeshore Health <news@lakeshorehealth.org>
Sent: Tue, Dec 1, 2026 10:00 AM
Subject: Healthy Lakeshore - Winter 2026 newsletter

Your Winter 2026 issue of Healthy Lakeshore is here (PDF attached).
'''),
dict(cat='c-community', slug='gala-seating-vip', phi=False, why='gala seating logistics with donor/board names; nothing about health',
 where=['body'], subj='Gala seating chart - tables 1-6 final?',
 **{'from': 'Events <events@lakeshorehealth.org>'}, to='Patricia Moyer <pmoyer@lakeshorehealth.org>', date='Fri, 20 Nov 2026 16:30:00 -0600',
 body='''Patricia,

Proposed head tables:
T1: Moyer, Whitley x2, Dr. Raman + guest, Board Chair Chen + spouse, Mayor's rep
T2: Dr. Okafor + guest, Dr. Ferreira + guest, Kaminski x2, Alvarez x2
T3-6: sponsors per the list from Jen

Dietary: 2 vegetarian at T1, 1 gluten-free at T2. Valet for T1 arrives 5:45.

Let me know by Monday!
Dana, Events
'''),
dict(cat='c-community', slug='volunteer-orientation-reminder', phi=False, why='volunteer orientation with TB test and flu shot requirements for the volunteers themselves, no patient',
 where=['body'], subj='Orientation Sat 12/12 - what to bring',
 **{'from': 'Volunteer Services <volunteers@lakeshorehealth.org>'}, to='New Volunteers <new-volunteers@lists.lakeshorehealth.org>', date='Mon, 7 Dec 2026 12:00:00 -0600',
 body='''Welcome, new volunteers!

Orientation is Saturday 12/12, 9 AM-1 PM, Conference Center B.

Please bring:
 - Photo ID
 - Proof of flu vaccine (or the declination form)
 - TB screening result from the last 12 months (Employee Health can do it free on 12/10, 7-9 AM)
 - Signed confidentiality agreement

We'll cover HIPAA basics, infection control, and wayfinding. Lunch provided.

Gloria Tate
'''),
dict(cat='c-community', slug='school-sports-physicals', phi=False, why='community event flyer text for sports physicals; cost and hours only',
 where=['body'], subj='$20 sports physicals - winter season',
 **{'from': 'Lakeshore Urgent Care <urgentcare@lakeshorehealth.org>'}, to='PTA Presidents <pta-list@lists.lakeshorehealth.org>', date='Tue, 1 Dec 2026 08:30:00 -0600',
 body='''Please share with families:

Winter sports physicals at all 4 Lakeshore Urgent Care locations - $20, walk-in, Dec 5-20, 9 AM-7 PM. Bring the IHSA pre-participation form signed by a parent and the student's immunization record.

Proceeds support the school nurse scholarship fund.
'''),
]
