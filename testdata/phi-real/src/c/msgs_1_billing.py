C = 'c-billing'
MSGS = [
dict(cat=C, slug='caqh-reattest-reminder', phi=False, why='CAQH re-attestation reminder naming a provider and CAQH ID; no patient',
 where=['body'], subj='Action Required: CAQH ProView Re-Attestation Due 12/15/2026',
 **{'from': 'CAQH ProView <noreply@proview.caqh.org>'}, to='Priya Raman <praman@lakeshoremg.org>', date='Mon, 30 Nov 2026 06:02:11 -0500',
 body='''Dear Priya Raman,

Your CAQH ProView profile (CAQH Provider ID: 15591207) is due for re-attestation on or before 12/15/2026.

Health plans that you have authorized to view your profile cannot access your most current information until you re-attest. To avoid delays in credentialing or recredentialing:

  1. Log in at proview.caqh.org
  2. Review each section, including Practice Locations and Professional Liability Insurance
  3. Upload any expiring documents (your malpractice certificate on file expires 12/31/2026)
  4. Click "Re-Attest"

If you have already re-attested, please disregard this message.

CAQH ProView Support
1-888-599-1771

This is an automated message. Please do not reply.
'''),

dict(cat=C, slug='payer-fee-schedule-2027', phi=False, why='payer fee schedule by CPT code, no patients',
 where=['attachment:xlsx'], subj='2027 Fee Schedule - Lakeshore Medical Group (TIN ending 1829)',
 **{'from': '"Kessler, Diane" <dkessler@greatlakeshp.com>'}, to='Rachel Altman <raltman@lakeshoremg.org>', cc='Provider Contracting <contracting@greatlakeshp.com>',
 date='Tue, 17 Nov 2026 14:37:52 -0600',
 body='''Hi Rachel,

As discussed on Thursday's call, attached is the 2027 commercial PPO fee schedule for Lakeshore Medical Group. E/M codes are up 2.4% across the board; lab codes (80053, 85025, 36415) are flat per the Exhibit B language. The J-code drug pricing moves to ASP+6% quarterly, so the J1885 number is only a placeholder through Q1.

The signed amendment will follow separately from our contracts team via DocuSign.

Let me know if you see anything that doesn't tie to what we agreed.

Thanks,
Diane

Diane Kessler | Senior Network Manager
Great Lakes Health Plan
o 312.555.0110 | dkessler@greatlakeshp.com

CONFIDENTIALITY NOTICE: This e-mail and any attachments contain proprietary contract information intended only for the named recipient.
''', atts=[('GLHP_2027_FeeSched_LakeshoreMG.xlsx', 'fee_schedule_2027.xlsx')]),

dict(cat=C, slug='era-summary-no-members', phi=False, why='remittance summary at payee level (totals, CARC counts, PLB), no member-level data',
 where=['attachment:pdf'], subj='ERA payment summary 11/29 - EFT 1GL2026112900417',
 **{'from': 'Great Lakes Health Plan EDI <edi-notify@greatlakeshp.com>'}, to='billing@lakeshoremg.org', date='Sun, 29 Nov 2026 22:15:03 -0600',
 body='''An electronic payment has been issued.

Payee: LAKESHORE MEDICAL GROUP LLC
Payee NPI: 1830166132
EFT trace number: 1GL2026112900417
Amount: $48,219.56
Settlement date: 12/01/2026

The payment summary is attached. The full 835 is available for download in the provider portal under Payments > Remittance.

Questions about this payment: provider services 1-800-555-0166, option 3.
'''
, atts=[('ERA_Summary_20261129.pdf', 'era_summary_1129.pdf')]),

dict(cat=C, slug='credentialing-roster-npis', phi=False, why='provider roster with individual/group NPIs, TIN and taxonomy codes: provider data, not patient data',
 where=['attachment:csv', 'body'], subj='RE: Q1 roster update - 6 providers',
 **{'from': 'Monique Faulkner <mfaulkner@lakeshoremg.org>'}, to='Provider Data Management <pdm@greatlakeshp.com>', date='Wed, 25 Nov 2026 09:48:30 -0600',
 body='''Hello PDM team,

Attached is our Q1 2027 roster change file. Summary:

- ADD: Dr. Priya Raman (NPI 2260181591), Dr. Kevin Osei (NPI 1860913908), Dr. Mei Tanaka (NPI 2030824629) - Lakeshore Main, eff 1/1/27
- ADD: Dr. Hannah Whitcomb (NPI 1948219930) - Heart Center, eff 1/15/27, pending your credentialing committee
- TERM: Dr. Sofia Marchetti (NPI 2181909377) eff 12/31/26 - she is relocating out of state
- Address change: Sandra Lee CNM, now at the Northside Women's suite 210

Group NPI 1830166132 / TIN 36-4471829 for all.

Please confirm receipt and give me a ticket number.

Monique Faulkner, CPCS
Credentialing Coordinator | Lakeshore Medical Group
Phone 312-555-0104  Fax 312-555-0105

-----Original Message-----
From: Provider Data Management <pdm@greatlakeshp.com>
Sent: Monday, November 23, 2026 4:12 PM
To: Monique Faulkner <mfaulkner@lakeshoremg.org>
Subject: Q1 roster update - 6 providers

Monique, we need the roster in our CSV template (not PDF) by 12/1 to make the 1/1 load. Thanks - PDM
''', atts=[('LMG_Roster_Q1_2027.csv', 'provider_roster_q1.csv')]),

dict(cat=C, slug='contract-renewal-redlines', phi=False, why='contract negotiation about rates and terms; no individuals other than staff',
 where=['body', 'quoted'], subj='RE: RE: PPA renewal - redlines on sections 4.2 and 7',
 **{'from': '"Rachel Altman" <raltman@lakeshoremg.org>'}, to='"Kessler, Diane" <dkessler@greatlakeshp.com>', date='Fri, 20 Nov 2026 16:21:09 -0600',
 hdrs={'Thread-Topic': 'PPA renewal - redlines on sections 4.2 and 7', 'X-MS-Has-Attach': '', 'X-MS-TNEF-Correlator': ''},
 body='''Diane -

We can live with 4.2 (180-day timely filing) if the corrected-claim window is also 180 days from the original remit, not from DOS. That was the sticking point last year when we had the 835 outage.

On section 7, our board won't sign an auto-renew longer than 2 years. Counter: 2-year term, 120-day termination without cause.

Rachel

Rachel Altman, MBA
Director, Revenue Cycle & Managed Care

From: Kessler, Diane <dkessler@greatlakeshp.com>
Sent: Thursday, November 19, 2026 11:02 AM
To: Rachel Altman <raltman@lakeshoremg.org>
Subject: RE: PPA renewal - redlines on sections 4.2 and 7

Rachel, legal accepted most of your comments. Remaining open items:
> 4.2 timely filing - we propose 180 days (currently 365)
> 7.1 term - 3 years with auto-renew
> Appendix C - medical records requests turnaround 15 business days

Let me know,
Diane
'''),

dict(cat=C, slug='fwd-credentialing-with-complaint', phi=True, why='credentialing thread forwards a patient complaint naming the patient, his pacemaker check and heart failure',
 where=['quoted'], subj='FW: Whitcomb credentialing - complaint received',
 **{'from': 'Monique Faulkner <mfaulkner@lakeshoremg.org>'}, to='Dr. Hannah Whitcomb <hwhitcomb@lakeshoremg.org>', cc='Rachel Altman <raltman@lakeshoremg.org>',
 date='Mon, 30 Nov 2026 10:14:45 -0600',
 body='''Dr. Whitcomb,

FYI only - GLHP's credentialing committee flagged the complaint below while your file is in review. It does not stop the application but they want a short written response from you by 12/7. I can help you draft it.

Monique

---------- Forwarded message ---------
From: Credentialing Dept <credentialing@greatlakeshp.com>
Date: Fri, Nov 27, 2026 at 3:40 PM
Subject: Whitcomb credentialing - complaint received
To: mfaulkner@lakeshoremg.org

Monique,

While processing Dr. Whitcomb's initial application (NPI 1948219930) we received a member grievance that names her. Member Gerald Okonkwo-Price reports that on 11/2 he waited two hours at the Main campus cardiology clinic for a pacemaker interrogation and was then told the doctor was not in; he states he has heart failure and could not tolerate the wait. Our grievance ref is GR-26-11-4471.

Per policy we need the practitioner's response before the committee meets on 12/10.

Regards,
Tamika Hollins
Credentialing Specialist, Great Lakes Health Plan
'''),

dict(cat=C, slug='npi-deactivation-notice', phi=False, why='NPPES notice about a provider record; provider NPI only',
 where=['body'], subj='NPPES: Notice of NPI Record Update',
 **{'from': 'NPPES <donotreply@cms.hhs.gov>'}, to='mfaulkner@lakeshoremg.org', date='Thu, 19 Nov 2026 03:11:40 -0500',
 body='''This is to notify you that the following National Provider Identifier (NPI) record has been updated in the National Plan and Provider Enumeration System (NPPES).

NPI: 2181909377
Provider Name: SOFIA MARCHETTI
Change(s): Practice Location Address
Date of Change: 11/18/2026

If you did not make or authorize this change, please contact the NPI Enumerator at 1-800-465-3203 or customerservice@npienumerator.com.

Thank you,
NPPES
'''),

dict(cat=C, slug='denial-trend-no-patients', phi=False, why='denial trend analysis by payer and CARC, aggregate counts only',
 where=['body', 'html'], subj='Oct denial trends - CO-197 up again',
 **{'from': 'Jorge Villanueva <jvillanueva@lakeshoremg.org>'}, to='RevCycle Leadership <revcycle-leads@lakeshoremg.org>', date='Mon, 9 Nov 2026 08:05:17 -0600',
 body='''All,

October denials snapshot (all payers, by first-pass denial):

Payer          Claims   Denied   Rate   Top CARC
GLHP           4,812    389      8.1%   CO-197 (auth absent)
Medicare FFS   6,230    261      4.2%   CO-16 (missing info)
Medicaid MCO   2,944    402      13.7%  CO-27 (coverage terminated)
Other comm.    1,771    122      6.9%   CO-50 (medical necessity)

CO-197 on GLHP is up from 71 to 118 claims, almost all outpatient MRI and echo. Scheduling is booking before the auth comes back. I've asked Patient Access for a hard stop in the scheduling workflow.

Jorge
''', html='''<html><body><p>All,</p><p>October denials snapshot (all payers, by first-pass denial):</p>
<table border=1 cellspacing=0 cellpadding=3><tr><th>Payer</th><th>Claims</th><th>Denied</th><th>Rate</th><th>Top CARC</th></tr>
<tr><td>GLHP</td><td>4,812</td><td>389</td><td>8.1%</td><td>CO-197 (auth absent)</td></tr>
<tr><td>Medicare FFS</td><td>6,230</td><td>261</td><td>4.2%</td><td>CO-16 (missing info)</td></tr>
<tr><td>Medicaid MCO</td><td>2,944</td><td>402</td><td>13.7%</td><td>CO-27 (coverage terminated)</td></tr>
<tr><td>Other comm.</td><td>1,771</td><td>122</td><td>6.9%</td><td>CO-50 (medical necessity)</td></tr></table>
<p>CO-197 on GLHP is up from 71 to 118 claims, almost all outpatient MRI and echo. Scheduling is booking before the auth comes back. I've asked Patient Access for a hard stop in the scheduling workflow.</p><p>Jorge</p></body></html>'''),

dict(cat=C, slug='clearinghouse-enrollment', phi=False, why='EDI/ERA enrollment paperwork: payee NPI, TIN, bank routing for the practice; no patient',
 where=['body'], subj='835 ERA enrollment confirmation - Payer 38217',
 **{'from': 'Enrollment Services <enrollment@claimbridge-edi.com>'}, to='billing@lakeshoremg.org', date='Wed, 4 Nov 2026 12:30:00 +0000',
 body='''Enrollment ID: ENR-884120
Transaction: 835 (ERA) and EFT
Payer: Great Lakes Health Plan (38217)
Provider: Lakeshore Medical Group LLC
NPI: 1830166132   TIN: 36-4471829
Status: APPROVED - live for remits on or after 11/16/2026

Bank account ending 4471 (ACH CCD+). The payer will send a prenote of $0.00 before the first EFT.

ClaimBridge EDI Enrollment Services
Ticket #: 2026110412300001
'''),

dict(cat=C, slug='patient-statement-card-payment', phi=True, why='patient balance email with the guarantor paying by card: full card number, patient name and dates of service',
 where=['quoted', 'body'], subj='RE: paying my bill',
 **{'from': 'Lakeshore Billing Office <billing@lakeshoremg.org>'}, to='dwight.amberley@gmail.com', date='Tue, 24 Nov 2026 11:46:22 -0600',
 body='''Hi Mr. Amberley,

Thank you - the payment of $145.00 posted to account 77120485 for your daughter Chloe's visits on 10/06 and 10/20 (the ADHD follow-ups with Dr. Osei). Your remaining balance is $0.00.

For your security, please don't email card numbers in the future; you can pay online at lakeshoremg.org/pay or call us at 312-555-0100.

Kind regards,
Denise
Patient Financial Services

On Mon, Nov 23, 2026 at 9:02 PM Dwight Amberley <dwight.amberley@gmail.com> wrote:
> hi, I want to pay the 145 for Chloe Amberley, DOB 3/9/2014. card is
> 4111 1127 0355 1201 exp 08/29, cvv 312. thanks
> Dwight
'''),

dict(cat=C, slug='w9-request-vendor', phi=False, why='vendor W-9 / TIN request; an EIN, no SSN or patient',
 where=['body'], subj='W-9 needed before we can pay invoice 20931',
 **{'from': 'Accounts Payable <ap@lakeshorehealth.org>'}, to='invoices@brightpath-transcription.com', date='Thu, 12 Nov 2026 15:18:04 -0600',
 body='''Good afternoon,

We received invoice #20931 ($3,412.50, October transcription services) but we do not have a current W-9 on file for BrightPath Transcription LLC. Please send a signed W-9 (Rev. March 2024) showing your EIN. We cannot release payment until it is received.

Our remit-to and vendor number: V-10482.

Thank you,
Accounts Payable
Lakeshore Health System
'''),

dict(cat=C, slug='scanned-signed-amendment', phi=False, why='scanned signed payer contract amendment (image-only PDF) with group TIN/NPI; nothing about patients',
 where=['attachment:pdf'], subj='Scan from bizhub C368',
 **{'from': 'scanner-3rdfloor@lakeshoremg.org'}, to='raltman@lakeshoremg.org', date='Tue, 24 Nov 2026 13:02:57 -0600',
 body='''Scanned document attached.

Device: bizhub C368 (3rd floor admin)
Pages: 1
Resolution: 200 dpi
''', atts=[('SKM_C36826112413020.pdf', 'signed_amendment.pdf')]),

dict(cat=C, slug='scanned-complaint-fwd', phi=True, unreadable=True, why='scanned patient feedback form (image-only PDF) with name, DOB, pacemaker/heart failure; body reveals nothing',
 where=['attachment:pdf'], subj='FW: scan - for Whitcomb file',
 **{'from': 'Monique Faulkner <mfaulkner@lakeshoremg.org>'}, to='Tamika Hollins <credentialing@greatlakeshp.com>', date='Tue, 1 Dec 2026 09:33:12 -0600',
 body='''Tamika - here is the original form the clinic received, as requested for the 12/10 committee. Dr. Whitcomb's response will follow by Monday.

Monique

-----Original Message-----
From: scanner-3rdfloor@lakeshoremg.org
Sent: Tuesday, December 1, 2026 9:30 AM
Subject: Scan from bizhub C368
''', atts=[('SKM_C36812010930.pdf', 'complaint_letter.pdf')]),

dict(cat=C, slug='timely-filing-policy-update', phi=False, why='payer provider bulletin with policy changes, code examples only',
 where=['html'], subj='Provider Bulletin December 2026: timely filing, modifier 25, telehealth POS',
 **{'from': 'GLHP Provider News <news@greatlakeshp.com>'}, to='billing@lakeshoremg.org', date='Tue, 1 Dec 2026 07:00:00 -0600',
 body='''Provider Bulletin - December 2026

1. Timely filing for commercial claims changes to 180 days for dates of service on or after 3/1/2027.
2. Modifier 25 review: E/M lines billed with 25 on the same day as a minor procedure (e.g. 20610, 11102) will require the office note on request.
3. Telehealth: use POS 10 for services to members at home; POS 02 for other locations. Modifier 95 is no longer required.
4. Reminder: ICD-10-CM Z codes for social determinants (Z59.0-Z59.9) are encouraged and do not affect payment.

Read online at greatlakeshp.com/providers/news
''', html='''<html><body style="font-family:Arial"><h2 style="color:#00558c">Provider Bulletin &ndash; December 2026</h2>
<ol><li><b>Timely filing</b> for commercial claims changes to 180 days for dates of service on or after 3/1/2027.</li>
<li><b>Modifier 25 review:</b> E/M lines billed with 25 on the same day as a minor procedure (e.g. 20610, 11102) will require the office note on request.</li>
<li><b>Telehealth:</b> use POS 10 for services to members at home; POS 02 for other locations. Modifier 95 is no longer required.</li>
<li>Reminder: ICD-10-CM Z codes for social determinants (Z59.0&ndash;Z59.9) are encouraged and do not affect payment.</li></ol>
<p><a href="https://greatlakeshp.com/providers/news">Read online</a> | <a href="https://greatlakeshp.com/unsub">Unsubscribe</a></p></body></html>'''),

dict(cat=C, slug='overpayment-recovery-claims', phi=True, why='payer recovery letter lists members by name and member ID with dates of service',
 where=['body'], subj='Overpayment recovery notice FCN 2026-0915-7781',
 **{'from': 'Payment Integrity <recovery@greatlakeshp.com>'}, to='billing@lakeshoremg.org', date='Tue, 15 Sep 2026 10:20:00 -0500',
 body='''Lakeshore Medical Group - NPI 1830166132

Our post-payment review found duplicate payments on the claims below. The amount will be offset from future remittances in 45 days unless disputed.

Member name          Member ID       DOS         Claim #            Overpaid
PRUITT, DANA         GLH884201937    07/14/2026  26195E004411       $206.00
ESPINOZA, LUCIA      GLH771043820    07/21/2026  26202E018830       $206.00

Total: $412.00

To dispute, submit a reconsideration with supporting documentation within 45 days.
'''),

dict(cat=C, slug='lunch-and-learn-billing', phi=False, why='internal training invite on coding changes; CPT/ICD examples without patients',
 where=['body'], subj='Lunch & learn: 2027 E/M and ICD-10 updates (Dec 9)',
 **{'from': 'Karen Pulaski <kpulaski@lakeshoremg.org>'}, to='All Coders <coding@lakeshoremg.org>', date='Wed, 2 Dec 2026 08:00:00 -0600',
 body='''hi all -

Lunch & learn next Wed 12/9, 12-1 in Conf B (and Teams). We'll cover:
 - 2027 E/M guideline tweaks, esp. 99417/G2212 prolonged services
 - new ICD-10-CM codes eff 10/1 that keep tripping edits (the new E11.A "diabetes in remission" code, the expanded R40.2x coma scale combos)
 - why 36415 keeps getting bundled on GLHP

pizza from Giordano's, vegetarian option too. reply if you're coming so I order enough!!

Karen
Coding Education
'''),
]
