C = 'c-research'
MSGS = [
dict(cat=C, slug='irb-continuing-review-approval', phi=False, why='IRB approval letter for a limited-data-set study: protocol and PI, enrollment count, no subjects',
 where=['attachment:pdf'], subj='IRB Approval: Protocol 2024-0933 (Continuing Review)',
 **{'from': 'Lakeshore IRB <irb@lakeshore-u.edu>'}, to='Luis Ferreira <lferreira@lakeshorehealth.org>', date='Fri, 20 Nov 2026 16:03:18 -0600',
 body='''Dear Dr. Ferreira,

The IRB has approved the continuing review for protocol 2024-0933. The approval letter is attached and is also available in eIRB.

Approval period: 11/20/2026 - 11/19/2027

Please remember to use only the currently stamped recruitment script.

Lakeshore University IRB Office
Human Research Protection Program
''', atts=[('IRB_2024-0933_CR_Approval.pdf', 'irb_approval_letter.pdf')]),

dict(cat=C, slug='data-dictionary-column-names', phi=False, why='data dictionary with column names MRN/DOB/SSN and formats, but no values',
 where=['attachment:xlsx', 'body'], subj='HF readmit study - data dictionary v3 for honest broker',
 **{'from': 'Brandon Ng <bng@lakeshorehealth.org>'}, to='Research Data Warehouse <rdw-requests@lakeshorehealth.org>', cc='Luis Ferreira <lferreira@lakeshorehealth.org>',
 date='Mon, 23 Nov 2026 11:27:00 -0600',
 body='''Hi RDW team,

Attached is v3 of the data dictionary for IRB 2024-0933. Changes from v2:
- MRN and DOB are now marked honest-broker only; the analytic extract should carry study_id and age_at_index instead
- zip3 replaces 5-digit ZIP
- added days_to_readmit
- SSN row left in as "NOT COLLECTED" because the IRB reviewer asked us to state it explicitly

Can you confirm the Clarity source columns (PAT_MRN_ID, BIRTH_DATE) are right for our Epic version?

Thanks,
Brandon
''', atts=[('HF_Readmit_DataDictionary_v3.xlsx', 'data_dictionary_v3.xlsx')]),

dict(cat=C, slug='recruitment-flyer-sleep', phi=False, why='IRB-approved recruitment flyer; eligibility criteria, no participants',
 where=['attachment:pdf'], subj='Please post: REST-CBT insomnia study flyer',
 **{'from': 'Anjali Desai <adesai@lakeshore-u.edu>'}, to='Clinic Managers <clinic-managers@lakeshorehealth.org>', date='Thu, 8 Oct 2026 10:10:10 -0500',
 body='''Hello clinic managers,

Could you post the attached IRB-approved flyer in your waiting rooms? We're recruiting adults 40-75 with chronic insomnia. Please don't hand flyers to specific patients or refer by name - interested people should call us directly.

Many thanks,
Anjali Desai, PhD
Associate Professor, Behavioral Sleep Medicine
''', atts=[('REST-CBT_flyer_IRB2026-0417.pdf', 'study_flyer_sleep.pdf')]),

dict(cat=C, slug='journal-club-invite', phi=False, why='journal club announcement discussing a published trial',
 where=['body'], subj='Journal Club Thurs - SGLT2i in HFpEF (bring questions!)',
 **{'from': 'Chief Residents <chiefs@lakeshorehealth.org>'}, to='IM Residents <im-residents@lakeshorehealth.org>', date='Mon, 30 Nov 2026 19:02:44 -0600',
 body='''Hey everyone,

Journal club this Thursday 12/3 at noon, Room 4B (lunch provided by the department, NOT pharma).

Article: "Empagliflozin in Heart Failure with a Preserved Ejection Fraction" (EMPEROR-Preserved), NEJM 2021.
Presenters: Dr. Patel (PGY-2) and Dr. Hughes (PGY-3)
Faculty discussant: Dr. Whitcomb

Things to think about: the composite endpoint, what drove it (hint: hospitalizations), and whether you'd start it in a 78-year-old with eGFR 28.

see you there
- the chiefs
'''),

dict(cat=C, slug='deid-extract-ready', phi=False, why='notice that a de-identified extract is ready; row counts and variables, no values',
 where=['body'], subj='[RDW-4471] De-identified extract ready for pickup',
 **{'from': 'RDW Service Desk <rdw-noreply@lakeshorehealth.org>'}, to='bng@lakeshorehealth.org', date='Tue, 1 Dec 2026 02:14:59 -0600',
 body='''Request RDW-4471 has been fulfilled.

Project: HF readmissions (IRB 2024-0933)
Data type: De-identified (Safe Harbor) + study_id
Rows: 18,402 encounters / 9,877 subjects
Columns: 14 (see dictionary v3)
Location: \\\\rdw-fs02\\projects\\IRB2024-0933\\extract_20261201\\

The crosswalk (study_id to MRN) is retained by the honest broker and was NOT included.

This extract expires in 90 days.
'''),

dict(cat=C, slug='sae-report-names-subject', phi=True, why='serious adverse event report by email with subject name, DOB and hospitalization for GI bleed',
 where=['body'], subj='SAE - site 03 - need to report within 24h',
 **{'from': 'Carla Mendes <cmendes@lakeshorehealth.org>'}, to='Luis Ferreira <lferreira@lakeshorehealth.org>', date='Sun, 29 Nov 2026 21:37:20 -0600',
 body='''Dr F,

Sorry for the Sunday email. One of our enrolled participants, Walter Brandt (HRT-0417, DOB 06/02/1949), was admitted Friday through the ED with an upper GI bleed (K92.2), got 2 units PRBC. He's on apixaban plus the study follow-up calls. I think this meets SAE criteria (hospitalization). I'll start the form in the eIRB tomorrow AM but need your causality assessment.

Carla Mendes, CCRC
Research Coordinator
sent from my iPhone
'''),

dict(cat=C, slug='cti-training-reminder', phi=False, why='CITI training expiry reminder for a research staff member',
 where=['body'], subj='Your CITI Human Subjects Research training expires in 30 days',
 **{'from': 'CITI Program <support@citiprogram.org>'}, to='cmendes@lakeshorehealth.org', date='Fri, 13 Nov 2026 04:00:00 -0500',
 body='''Dear Carla Mendes,

Our records indicate that your completion of the following course will expire on 12/13/2026:

  Biomedical Research - Refresher 1 (Lakeshore University)
  Good Clinical Practice (U.S. FDA focus)

Log in to www.citiprogram.org to complete the refresher. Institutions may suspend research access for expired training.

CITI Program
'''),

dict(cat=C, slug='screening-log-aggregate', phi=False, why='monthly screening/enrollment log totals and screen-fail reasons, no individuals',
 where=['body'], subj='Nov screening log - site 03',
 **{'from': 'Carla Mendes <cmendes@lakeshorehealth.org>'}, to='HRT Study Team <hrt-study@lakeshore-u.edu>', date='Tue, 1 Dec 2026 08:30:00 -0600',
 body='''Site 03 November numbers:

Pre-screened (EHR query): 142
Approached: 61
Consented: 24
Screen fails: 9
  - eGFR < 30: 3
  - discharged to hospice: 2
  - no phone access: 2
  - declined after consent: 2
Randomized: 15 (running total 212)

We'll need more ED approaches in Dec to stay on target. - Carla
'''),

dict(cat=C, slug='recruitment-list-names', phi=True, why='coordinator sends an EHR pre-screen list with patient names, MRNs and heart-failure admissions',
 where=['attachment:csv'], subj='pre-screen list for this week (please call)',
 **{'from': 'Carla Mendes <cmendes@lakeshorehealth.org>'}, to='Priyanka Shah <pshah2@lakeshore-u.edu>', date='Mon, 30 Nov 2026 07:58:12 -0600',
 body='''Priyanka - here are this week's candidates from the EHR query. Please call in order and log outcomes in REDCap, not in this file. Delete after.

thx
C
''', atts=[('prescreen_wk49.csv', 'prescreen_wk49.csv')]),

dict(cat=C, slug='dua-routing', phi=False, why='data use agreement routing for a limited data set; legal terms only',
 where=['body', 'quoted'], subj='RE: DUA with Midwest Outcomes Consortium - signature routing',
 **{'from': 'Office of Research Contracts <orc@lakeshore-u.edu>'}, to='Luis Ferreira <lferreira@lakeshorehealth.org>', date='Wed, 25 Nov 2026 13:44:00 -0600',
 body='''Dr. Ferreira,

The DUA is fully executed (attached in DocuSign). Key terms:
- Limited data set: dates of admission/discharge, 5-digit ZIP, age in years. No names, MRNs, SSNs or contact information.
- No re-identification or contact with individuals.
- Recipient must report any unauthorized use within 5 business days.
- Term: 3 years.

Regards,
Office of Research Contracts

> On Nov 18, Luis Ferreira wrote:
> Can we get the DUA done before the December data pull? Consortium needs it by 12/15.
'''),

dict(cat=C, slug='grant-budget-question', phi=False, why='grant budget discussion: personnel effort and costs',
 where=['body'], subj='R01 resubmission budget - effort for coordinators',
 **{'from': 'Sponsored Programs <osp@lakeshore-u.edu>'}, to='Anjali Desai <adesai@lakeshore-u.edu>', date='Thu, 12 Nov 2026 09:09:09 -0600',
 body='''Hi Anjali,

For the R01 resubmission (due Feb 5) the budget shows coordinator effort at 100% in years 1-5, but the salary cap note in the justification only covers you. Can you confirm whether Carla Mendes (50%) and the new hire (TBD, 100%) are both in? Also participant incentives at $200 x 240 = $48,000 should sit under "Other Direct Costs", not supplies.

Best,
Gwen
OSP Pre-Award
'''),

dict(cat=C, slug='irb-amendment-consent-typo', phi=False, why='IRB amendment correspondence about consent form wording',
 where=['body'], subj='Amendment 7 returned - minor modifications required',
 **{'from': 'Lakeshore IRB <irb@lakeshore-u.edu>'}, to='Anjali Desai <adesai@lakeshore-u.edu>', date='Tue, 6 Oct 2026 15:16:17 -0500',
 body='''Protocol 2026-0417 (REST-CBT), Amendment 7

The IRB reviewed the amendment and requires minor modifications:
1. Consent v5, page 3: "You will recieve up to $200" - correct spelling and state the per-visit amounts.
2. The HIPAA authorization section must name the wearable vendor as a recipient of data.
3. Flyer: remove "cure your insomnia".

Submit the revised documents in eIRB. No re-review by the convened board is required.
'''),
]
