C = 'c-ops'
MSGS = [
dict(cat=C, slug='oncall-roster-december', phi=False, why='on-call roster listing clinicians, services and pagers; no patients',
 where=['attachment:csv', 'body'], subj='December on-call schedule (final)',
 **{'from': 'Medical Staff Scheduling <oncall@lakeshorehealth.org>'}, to='Switchboard <operators@lakeshorehealth.org>; House Supervisors <house-sups@lakeshorehealth.org>',
 date='Mon, 30 Nov 2026 16:40:00 -0600',
 body='''Attached is the final December on-call schedule. Changes since the draft:
 - 12/3 OB backup is Sandra Lee CNM (Dr. Marchetti out)
 - 12/5-12/6 weekend hospitalist: Dr. Ferreira primary, Dr. Tanaka backup

Operators: please load into AMiON by tomorrow 0700. Hospitalist nights pager stays 4417.

Thanks,
Cheryl Dunn
Medical Staff Scheduling
''', atts=[('OnCall_Dec2026_FINAL.csv', 'onc_roster_dec.csv')]),

dict(cat=C, slug='ehr-downtime-notice', phi=False, why='planned EHR downtime notice with procedures; no patients',
 where=['body', 'html'], subj='PLANNED EPIC DOWNTIME Sun 12/6 01:00-05:00 - read before your shift',
 **{'from': 'IT Service Desk <servicedesk@lakeshorehealth.org>'}, to='All Staff <allstaff@lakeshorehealth.org>', date='Wed, 2 Dec 2026 10:00:00 -0600',
 hdrs={'Importance': 'high', 'X-Priority': '1'},
 body='''PLANNED EPIC DOWNTIME
Sunday, December 6, 2026, 01:00 - 05:00 (up to 4 hours)

What is affected: Epic Hyperspace, Haiku/Canto, MyChart, Rover, interfaces to lab and radiology.
What still works: BCA (read-only downtime) PCs on every unit, Pyxis (override mode), PACS viewing.

Before 01:00:
 - Charge nurses print the BCA census and MAR reports at 00:30
 - Pharmacy will verify orders placed before 00:45

During downtime:
 - Use paper downtime forms (red binder, every nursing station)
 - Lab: label specimens with downtime labels; results will be called for criticals
 - Do NOT re-enter results until IT sends the "back-entry" email

Questions: IT Service Desk x4357 (HELP)
''', html='''<html><body style="font-family:Calibri"><div style="background:#c00;color:#fff;padding:8px;font-size:16pt"><b>PLANNED EPIC DOWNTIME</b></div>
<p><b>Sunday, December 6, 2026, 01:00 &ndash; 05:00</b> (up to 4 hours)</p>
<p><b>What is affected:</b> Epic Hyperspace, Haiku/Canto, MyChart, Rover, interfaces to lab and radiology.<br><b>What still works:</b> BCA (read-only downtime) PCs on every unit, Pyxis (override mode), PACS viewing.</p>
<p><b>Before 01:00:</b></p><ul><li>Charge nurses print the BCA census and MAR reports at 00:30</li><li>Pharmacy will verify orders placed before 00:45</li></ul>
<p><b>During downtime:</b></p><ul><li>Use paper downtime forms (red binder, every nursing station)</li><li>Lab: label specimens with downtime labels; results will be called for criticals</li><li>Do NOT re-enter results until IT sends the &ldquo;back-entry&rdquo; email</li></ul>
<p>Questions: IT Service Desk x4357 (HELP)</p></body></html>'''),

dict(cat=C, slug='implant-lot-log-recall', phi=True, why='implant log spreadsheet lists which named patient (with MRN) received which implant lot',
 where=['attachment:xlsx', 'body'], subj='RE: Zimmer field action - Persona lot 64831207 - which pts?',
 **{'from': '"Dominguez, Hector" <hdominguez@lakeshorehealth.org>'}, to='Risk Management <risk@lakeshorehealth.org>', cc='Dr. Ruth Okafor <rokafor@lakeshorehealth.org>',
 date='Tue, 1 Dec 2026 14:05:31 -0600',
 body='''Risk team,

Pulled the November implant log from the OR tracking system. Lot 64831207 (Persona femoral CR) went into 2 patients - rows 2 and 4 in the attached sheet (Delacroix 11/3, Nguyen 11/6). Both TKAs. The rest of the log is attached for completeness in case Zimmer expands the lot range.

Dr. Okafor's office will need to contact them, I'm not sure if that is a surgeon call or a letter.

Hector Dominguez
Perioperative Materials Manager
x5512

-----Original Message-----
From: Risk Management
Sent: Tuesday, December 1, 2026 11:30 AM
To: Dominguez, Hector
Subject: Zimmer field action - Persona lot 64831207 - which pts?

Hector - can you tell us if we implanted any from the lot in the Zimmer letter?
''', atts=[('Implant_Log_Nov2026.xlsx', 'implant_lot_log_nov.xlsx')]),

dict(cat=C, slug='iv-set-recall-notice', phi=False, why='distributor device recall notice (UTF-16 text with BOM): product, lots, actions',
 where=['attachment:txt-utf16'], subj='URGENT Recall - SureFlow IV set SF-2215 - response required',
 **{'from': 'Midwest Medical Supply <recalls@midwestmedsupply.com>'}, to='materials@lakeshorehealth.org', date='Thu, 26 Nov 2026 08:00:00 -0600',
 body='''Customer #: 100482 LAKESHORE REGIONAL MEDICAL CENTER

Please see the attached recall notice and respond within 10 business days.
''', atts=[('RECALL_NOTICE_SF-2215.txt', 'recall_notice_u16bom.txt')]),

dict(cat=C, slug='drug-shortage-update', phi=False, why='pharmacy drug shortage list with NDCs, no patients (UTF-16 text without BOM)',
 where=['attachment:txt-utf16', 'body'], subj='Drug shortage update wk of 11/30',
 **{'from': 'Pharmacy Buyer <rx-purchasing@lakeshorehealth.org>'}, to='Pharmacy Staff <pharmacy@lakeshorehealth.org>; OR Charge RNs <or-charge@lakeshorehealth.org>',
 date='Mon, 30 Nov 2026 06:55:00 -0600',
 body='''Morning all, shortage list attached (exported from the buyer tool). Biggest change: cefazolin 1 g (NDC 0409-0805-01) now on 70% allocation - use 2 g vials per P&T auto-sub. Lidocaine 1% 30 mL MDV backordered til January.

-Tran
''', atts=[('shortage_list_1130.txt', 'pharmacy_shortage_u16.txt')]),

dict(cat=C, slug='it-change-ticket', phi=False, why='IT change request for an interface; only the fictitious test patient ZZTEST with a test MRN, no real patient',
 where=['body'], subj='CHG0048812 approved: HL7 ADT interface cert renewal',
 **{'from': 'ServiceNow <servicenow@lakeshorehealth.org>'}, to='Integration Team <integration@lakeshorehealth.org>', date='Tue, 24 Nov 2026 17:30:00 -0600',
 body='''Change CHG0048812 has been APPROVED by the CAB.

Short description: Renew TLS certificate on Cloverleaf ADT outbound to RadNet (port 6661)
Risk: Moderate   Impact: 3 - Low
Planned start: 12/08/2026 22:00   Planned end: 12/08/2026 23:00
Implementation plan: queue messages on thread ADT_RAD_OUT, swap cert, resume, verify ACKs.
Backout plan: restore previous cert from keystore backup.
Test plan: send test A08 for test patient ZZTEST, MRN 99999990; confirm PID-3 and PV1-3 map.

Assigned to: Naveen Kulkarni
'''),

dict(cat=C, slug='bed-board-census-names', phi=True, why='house supervisor census email with patient names, rooms and clinical status',
 where=['body'], subj='2300 bed huddle - holds & boarders',
 **{'from': 'House Supervisor <house-sups@lakeshorehealth.org>'}, to='Bed Management <bedmgmt@lakeshorehealth.org>', date='Mon, 30 Nov 2026 23:04:18 -0600',
 body='''2300 huddle

ED holds: 7 (3 tele, 2 med, 1 ICU, 1 psych)
  - ED 14 Stanley Kowalczyk, CHF exac, needs tele, BiPAP weaning
  - ED 22 Odessa Bell, needs ICU for DKA, insulin gtt
  - Psych hold in ED 31 (BH placement calls out to 3 facilities)
PACU overnight boarder: 1
Discharges pending transport: 612 (SNF), 508 (home w/ HH)

Staffing: 5W short 1 RN at 0300, float pool covering.

Pam Richter RN, House Supervisor
'''),

dict(cat=C, slug='supply-chain-backorder', phi=False, why='supply chain backorder and substitution for gloves and catheters',
 where=['body'], subj='Backorder alert: Foley trays & nitrile gloves (M, L)',
 **{'from': 'Supply Chain <supplychain@lakeshorehealth.org>'}, to='Nurse Managers <nurse-managers@lakeshorehealth.org>', date='Fri, 20 Nov 2026 12:12:12 -0600',
 body='''Heads-up:

- Bard 16Fr Foley tray (REF 907316) - backordered until ~12/18. Substitute: Medline ERASE CAUTI tray, par levels updated in PAR Excellence.
- Nitrile exam gloves M and L (Halyard Purple) - allocation 80%. Please don't stockpile in patient rooms.

We'll post a weekly update Fridays.

Supply Chain Ops
'''),

dict(cat=C, slug='facilities-elevator-outage', phi=False, why='facilities notice about elevator maintenance and patient transport routes',
 where=['body'], subj='Elevator B out of service 12/3-12/4',
 **{'from': 'Facilities <facilities@lakeshorehealth.org>'}, to='All Staff <allstaff@lakeshorehealth.org>', date='Tue, 1 Dec 2026 09:00:00 -0600',
 body='''Elevator B (service elevator, North tower) will be out of service Thursday 12/3 06:00 through Friday 12/4 18:00 for code-required load testing.

Patient transport: use elevator C and the connector bridge on level 2. Dietary carts will use elevator D between 10:30 and 11:30 only.

Sorry for the inconvenience,
Facilities Management
x2200
'''),

dict(cat=C, slug='nurse-schedule-swap', phi=False, why='staff schedule swap between two RNs; staff names only',
 where=['body', 'quoted'], subj='Re: swap 12/12 for 12/19?',
 **{'from': 'Kayla Moreno <kmoreno@lakeshorehealth.org>'}, to='Janet Whitfield <jwhitfield@lakeshorehealth.org>', cc='Devon Price <dprice@lakeshorehealth.org>',
 date='Wed, 2 Dec 2026 13:48:00 -0600',
 body='''Devon agreed! So I'd work his 12/19 night (1900-0730) and he takes my 12/12 day. Can you approve in Kronos? thank you!!

Kayla

On Wed, Dec 2, 2026 at 1:15 PM Devon Price wrote:
> yeah that works, I need the 12th off for my sister's wedding. Just make sure
> Janet signs off since it puts me at 48 for that pay period
'''),

dict(cat=C, slug='pharmacy-controlled-discrepancy', phi=True, why='Pyxis discrepancy follow-up names the patient and hydromorphone doses given',
 where=['body'], subj='Pyxis discrepancy 5W - hydromorphone - need witness stmt',
 **{'from': 'Tran Le <tle@lakeshorehealth.org>'}, to='Kayla Moreno <kmoreno@lakeshorehealth.org>', date='Sat, 28 Nov 2026 08:22:00 -0600',
 body='''Hi Kayla,

The 5W Pyxis shows an unresolved discrepancy from your shift 11/27: hydromorphone 2 mg/mL carpuject, count expected 8, found 7. The removal at 03:12 was for Raymond Hollis (rm 518) but only 0.5 mg was documented as given on the MAR with no waste witnessed.

Can you and the witnessing RN send a statement by Monday? Per policy this goes to the diversion committee if not resolved in 72h.

Tran Le, PharmD
Controlled Substances Pharmacist
'''),

dict(cat=C, slug='phishing-warning', phi=False, why='IT security warning about phishing; fake MyChart lure',
 where=['body'], subj='[SECURITY] Fake "MyChart message" emails - do not click',
 **{'from': 'Information Security <infosec@lakeshorehealth.org>'}, to='All Staff <allstaff@lakeshorehealth.org>', date='Thu, 19 Nov 2026 14:00:00 -0600',
 body='''We are seeing phishing emails that look like MyChart notifications: "You have a new test result from your provider" with a link to mychart-lakeshore-login[.]com.

Our real MyChart is mychart.lakeshorehealth.org. We will never ask you to enter your password from an email.

If you clicked: call x4357 right away so we can reset your account.
Report suspicious mail with the "Report Phish" button in Outlook.

Information Security Office
'''),

dict(cat=C, slug='linen-contract-vendor', phi=False, why='vendor logistics about linen delivery schedule',
 where=['body'], subj='Holiday delivery schedule - linen',
 **{'from': 'Customer Service <cs@crystalclean-linen.com>'}, to='evs@lakeshorehealth.org', date='Mon, 23 Nov 2026 10:00:00 -0600',
 body='''Hello Lakeshore EVS,

Our plant is closed 12/25 and 1/1. Deliveries shift:
  Thu 12/24 -> double delivery (AM + PM)
  Fri 12/25 -> none
  Thu 12/31 -> double delivery
  Fri 1/1 -> none

Please adjust par requests by 12/21. Isolation gowns remain on the usual schedule.

Crystal Clean Linen Services
Route 14 | acct 5520-LRMC
'''),

dict(cat=C, slug='badge-access-request', phi=False, why='badge access request for a contractor; no patient information',
 where=['body'], subj='Access request: contractor badge for pharmacy clean room project',
 **{'from': 'Naveen Kulkarni <nkulkarni@lakeshorehealth.org>'}, to='Security Office <security@lakeshorehealth.org>', date='Fri, 27 Nov 2026 11:11:00 -0600',
 body='''Hi Security,

Please issue a temporary contractor badge for Marco Bellini (Apex Cleanroom Systems) for 12/7-12/18, access to pharmacy corridor B1 and the IV room anteroom only, 07:00-17:00.

He'll need escort into the IV room itself per USP 797 - pharmacy will handle that.

Thanks
Naveen
'''),
]
