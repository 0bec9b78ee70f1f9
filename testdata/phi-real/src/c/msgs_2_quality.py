C = 'c-quality'
MSGS = [
dict(cat=C, slug='hai-dashboard-q3', phi=False, why='de-identified infection-control dashboard: counts, SIRs and unit names only',
 where=['attachment:pdf'], subj='Q3 IP&C dashboard for Thursday QPS',
 **{'from': 'Yolanda Brooks <ybrooks@lakeshorehealth.org>'}, to='QPS Committee <qps@lakeshorehealth.org>', date='Mon, 30 Nov 2026 17:44:09 -0600',
 body='''Committee members,

Attached is the Q3 infection prevention dashboard for Thursday's meeting. Headlines:
- CAUTI and C. diff both below goal for the second quarter running
- CLABSI SIR 0.91, above our 0.75 goal (3 events, 3 different units)
- Hand hygiene 93% - best quarter since we started direct observation

I'll walk through the CLABSI bundle audit results verbally.

Yolanda Brooks, MPH, CIC
Manager, Infection Prevention & Control
''', atts=[('IPC_Dashboard_Q3_2026.pdf', 'hai_dashboard_q3.pdf')]),

dict(cat=C, slug='rca-meeting-notice', phi=False, why='RCA meeting invite with event number only, no patient details',
 where=['body'], subj='RCA kickoff - Event 26-0871 - Thu 12/3 2:00 PM',
 **{'from': 'Marisol Castellanos <mcastellanos@lakeshorehealth.org>'}, to='Thomas Abernathy <tabernathy@lakeshorehealth.org>; Janet Whitfield <jwhitfield@lakeshorehealth.org>; Pharmacy Leads <rx-leads@lakeshorehealth.org>',
 date='Tue, 1 Dec 2026 08:12:33 -0600', hdrs={'X-MS-Exchange-Organization-SCL': '-1', 'Importance': 'high'},
 body='''You are invited to the root cause analysis kickoff for Event 26-0871 (fall with injury, 6 North).

When: Thursday, December 3, 2026, 2:00-3:30 PM Central
Where: Admin Conference Room 2 / Microsoft Teams (link below)

Please come prepared to walk through the night-shift timeline. The event details are in SafetyNet; do not print or forward them. All discussion is privileged patient safety work product under our PSO agreement.

Pharmacy: we need someone who can speak to sedative-hypnotic ordering in older adults.

Marisol Castellanos, RN, CPPS
Patient Safety Officer

________________________________________________________________________________
Microsoft Teams meeting
Join on your computer, mobile app or room device
Click here to join the meeting
Meeting ID: 284 771 903 118
Passcode: k7Qz3P
________________________________________________________________________________
'''),

dict(cat=C, slug='rca-draft-names-patient', phi=True, why='RCA draft docx names the patient with age, MRN, diagnosis and hip fracture',
 where=['attachment:docx'], subj='RE: RCA kickoff - Event 26-0871 - draft for review',
 **{'from': 'Marisol Castellanos <mcastellanos@lakeshorehealth.org>'}, to='Thomas Abernathy <tabernathy@lakeshorehealth.org>; Janet Whitfield <jwhitfield@lakeshorehealth.org>',
 date='Fri, 4 Dec 2026 16:55:02 -0600',
 body='''Thanks everyone for yesterday. Draft summary attached - please send edits by Tuesday. Pharmacy rep still TBD.

Marisol
''', atts=[('RCA_26-0871_draft_v1.docx', 'rca_summary_docx.docx')]),

dict(cat=C, slug='tjc-survey-prep', phi=False, why='accreditation readiness checklist; no patients',
 where=['body'], subj='Joint Commission readiness - tracer schedule & top 10 findings to fix',
 **{'from': 'Accreditation Office <accreditation@lakeshorehealth.org>'}, to='Nurse Managers <nurse-managers@lakeshorehealth.org>', cc='Directors <directors@lakeshorehealth.org>',
 date='Thu, 19 Nov 2026 11:00:00 -0600',
 body='''Team,

Our triennial survey window opens January 4. Mock tracers resume next week. Based on the fall mock survey, please fix these before then:

 1. Expired supplies in clean utility rooms (4 units)
 2. Crash cart checklists missing daily initials
 3. Multi-dose vials without a 28-day beyond-use date label
 4. Eye wash station weekly checks not documented
 5. Hallway clutter > 30 min (equipment on wheels is ok if in use)
 6. Whiteboards with more patient info than the policy allows (first name + last initial only)
 7. Refrigerator temperature logs with gaps
 8. Staff unable to state the fire RACE/PASS steps
 9. Unsecured medications in procedure rooms
10. Restraint order renewals not timed

Mock tracer schedule is on the Accreditation SharePoint. Call ext 4120 with questions.

Lena Marsh, MSN, RN
Director of Accreditation & Regulatory Readiness
'''),

dict(cat=C, slug='core-measures-sepsis', phi=False, why='SEP-1 aggregate compliance and fallout categories by month',
 where=['body'], subj='SEP-1 Oct abstraction results',
 **{'from': 'Ruth Eilers <reilers@lakeshorehealth.org>'}, to='Sepsis Committee <sepsis@lakeshorehealth.org>', date='Tue, 17 Nov 2026 13:22:41 -0600',
 body='''Oct SEP-1: 61% (38/62 cases passing), down from 67% in Sept.

Fallouts (some cases more than one):
  lactate repeat not within 6 hr ........ 11
  blood cx after abx .................... 6
  30 mL/kg fluids not documented / no reason .. 5
  vasopressors late ..................... 2

ED is still the big one for repeat lactate. I'd like 10 min at the ED staff meeting to show the new BPA.

Ruth
Quality Data Abstractor
'''),

dict(cat=C, slug='fallout-case-list', phi=True, why='abstractor asks physicians to review named fallout cases with MRNs, ages and sepsis/septic shock diagnoses',
 where=['body'], subj='need physician review - 3 SEP-1 fallouts',
 **{'from': 'Ruth Eilers <reilers@lakeshorehealth.org>'}, to='Dr. Kevin Osei <kosei@lakeshorehealth.org>', date='Wed, 18 Nov 2026 07:41:10 -0600',
 body='''Dr. Osei,

Could you look at these before the committee? I think 2 of them may have a valid exclusion (clinical trial / comfort care) but I need a physician to agree.

1) Harlan Stuckey, 67M, MRN 00640932, adm 10/04 - septic shock (R65.21), repeat lactate at 7h12m
2) Bernadette Quist, 79F, MRN 00213877 - comfort care ordered 10/11 at 18:40, was that within 6 hr?
3) Anthony Delgado Jr, MRN 00911540, 44M - UTI with sepsis, blood cultures drawn 22 min after cefepime

Thanks!
Ruth
'''),

dict(cat=C, slug='hand-hygiene-unit-results', phi=False, why='hand hygiene compliance by unit and role; staff roles, no patients',
 where=['body'], subj='Nov hand hygiene by unit',
 **{'from': 'Yolanda Brooks <ybrooks@lakeshorehealth.org>'}, to='Nurse Managers <nurse-managers@lakeshorehealth.org>', date='Wed, 2 Dec 2026 09:15:00 -0600',
 body='''November direct observation (n = 1,406 opportunities):

MICU 96% | CVICU 94% | 5 West 89% | 6 North 91% | 4 South 95% | ED 86% | L&D 97%

By role: RN 95%, MD/APP 88%, PCT 92%, Transport 81%, EVS 90%.

ED and transport are the focus for December. Secret shoppers will be out on nights too.

Thanks for all you do -
Yolanda
'''),

dict(cat=C, slug='patient-safety-awareness-week', phi=False, why='event announcement about safety culture; a generic story without identifiable patient',
 where=['html'], subj='Celebrate Patient Safety Awareness Week with us!',
 **{'from': 'Patient Safety <patientsafety@lakeshorehealth.org>'}, to='All Staff <allstaff@lakeshorehealth.org>', date='Mon, 9 Mar 2026 06:30:00 -0500',
 body='''Patient Safety Awareness Week is March 8-14!

Stop by the cafeteria on Wednesday for the "Room of Errors" - find the 12 hidden safety hazards in our mock patient room and win a coffee card.

Good catch awards: this quarter 41 staff members submitted near-miss reports. One nurse noticed two patients with the same last name on one unit and added a name alert before any mix-up happened. That's what speaking up looks like.

Thank you for keeping our patients safe.
''', html='''<html><body style="font-family:Segoe UI,Arial"><h2 style="color:#2b6e3f">Patient Safety Awareness Week is March 8&ndash;14!</h2>
<p>Stop by the cafeteria on Wednesday for the <b>&ldquo;Room of Errors&rdquo;</b> &ndash; find the 12 hidden safety hazards in our mock patient room and win a coffee card.</p>
<p><b>Good catch awards:</b> this quarter 41 staff members submitted near-miss reports. One nurse noticed two patients with the same last name on one unit and added a name alert before any mix-up happened. That&rsquo;s what speaking up looks like.</p>
<p>Thank you for keeping our patients safe.</p></body></html>'''),

dict(cat=C, slug='readmission-hf-aggregate', phi=False, why='HF readmission rates by month and discharge disposition; ICD code ranges without patients',
 where=['body'], subj='RE: HF readmits - can we split by SNF vs home?',
 **{'from': '"Ng, Brandon" <bng@lakeshorehealth.org>'}, to='"Ferreira, Luis MD" <lferreira@lakeshorehealth.org>', date='Thu, 12 Nov 2026 10:03:55 -0600',
 body='''Yes - here it is for Jan-Sep, index = principal dx I50.x, excluding transfers and AMA:

Discharged to     Index  Readmit30  Rate
Home              412    66         16.0%
Home health       288    55         19.1%
SNF               173    44         25.4%
Hospice             9     0          0.0%

So SNF is where the problem is. I can do a facility-level cut but some SNFs have fewer than 10 cases, so I'd keep it internal.

Brandon Ng
Sr. Quality Analyst | Decision Support

-----Original Message-----
From: Ferreira, Luis MD
Sent: Wednesday, November 11, 2026 6:47 PM
To: Ng, Brandon
Subject: HF readmits - can we split by SNF vs home?

Brandon, great deck. Can we see the 30-day rate by discharge disposition?
'''),

dict(cat=C, slug='peer-review-committee-agenda', phi=False, why='peer review meeting agenda with case numbers only; physicians named',
 where=['body'], subj='Medical Staff Peer Review Committee - Dec agenda (CONFIDENTIAL)',
 **{'from': 'Medical Staff Office <medstaff@lakeshorehealth.org>'}, to='Peer Review Committee <peer-review@lakeshorehealth.org>', date='Tue, 1 Dec 2026 15:00:00 -0600',
 body='''CONFIDENTIAL - Peer review privileged under 735 ILCS 5/8-2101 (Medical Studies Act)

Peer Review Committee - Tuesday 12/8, 7:00 AM, Board Room

1. Approval of November minutes
2. Case PR-26-044 (Surgery) - reviewer Dr. Lindqvist
3. Case PR-26-047 (Hospital Medicine) - reviewer Dr. Tanaka
4. Case PR-26-049 (OB) - external review returned, score 2
5. OPPE data release for Q3 - Dr. Raman
6. FPPE completions: Dr. Whitcomb (pending start), Dr. Osei (complete)

Case files are in the secure peer review folder only. Please do not reply-all with case details.
'''),

dict(cat=C, slug='complaint-trend-report', phi=False, why='patient experience complaint categories with counts; no individual complainants',
 where=['body'], subj='Patient Relations - Q3 grievance trends',
 **{'from': 'Patient Relations <patientrelations@lakeshorehealth.org>'}, to='QPS Committee <qps@lakeshorehealth.org>', date='Mon, 26 Oct 2026 14:10:00 -0500',
 body='''Q3 formal grievances: 58 (Q2: 64). Complaints (resolved at point of service): 311.

Top categories
  Communication with provider      19
  Wait times / access              14   <- cardiology clinic 6 of these
  Billing                           9
  Discharge process                 7
  Staff attitude                    5
  Other                             4

All grievances received the 7-day written response except 2 (both closed by day 9).

Patient Relations
'''),

dict(cat=C, slug='fall-huddle-message-names-pt', phi=True, why='unit huddle note: named patient with room, fall and hip fracture',
 where=['body'], subj='6N safety huddle notes 10/19',
 **{'from': 'Janet Whitfield <jwhitfield@lakeshorehealth.org>'}, to='6 North Staff <6north@lakeshorehealth.org>', date='Mon, 19 Oct 2026 07:25:41 -0500',
 body='''Huddle notes 10/19 (day shift)

- Mrs. Vasquez-Hart in 612 fell last night, R hip fx, she's going to OR this morning. Please re-arm bed alarms EVERY time after toileting. I know we're short but this is non-negotiable.
- Float staff: please read the hourly rounding log before taking report.
- Pyxis in med room B down again, IT ticket in.
- Potluck Friday!!

Janet
Nurse Manager, 6 North
'''),

dict(cat=C, slug='nhsn-submission-reminder', phi=False, why='NHSN reporting deadline reminder; facility-level',
 where=['body'], subj='Reminder: NHSN Q3 data due 2/15 - confirm your rights',
 **{'from': 'NHSN <nhsn@cdc.gov>'}, to='ybrooks@lakeshorehealth.org', date='Mon, 16 Nov 2026 05:00:00 -0500',
 body='''Dear NHSN Facility Administrator,

This is a reminder that CMS Hospital IQR and HACRP data for Q3 2026 (July-September) must be entered and complete in NHSN by February 15, 2027.

Facility: Lakeshore Regional Medical Center (NHSN Org ID 40188)

Please confirm that your monthly reporting plans are complete and that your facility has conferred rights to the CMS reporting group.

NHSN Helpdesk
'''),
]
