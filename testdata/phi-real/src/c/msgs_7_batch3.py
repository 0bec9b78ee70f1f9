MSGS = [
dict(cat='c-billing', slug='credentialing-packet-zip', phi=False, why='zipped credentialing packet: provider NPI, CAQH ID, license numbers, group roster; no patient',
 where=['attachment:zip'], subj='Initial credentialing packet - Hannah Whitcomb MD (GLHP)',
 **{'from': 'Monique Faulkner <mfaulkner@lakeshoremg.org>'}, to='Credentialing Dept <credentialing@greatlakeshp.com>', date='Thu, 19 Nov 2026 14:25:00 -0600',
 body='''Hi Tamika,

Attached is Dr. Whitcomb's packet for initial credentialing (checklist + our group roster excerpt). Her CAQH is attested and GLHP is authorized to view it. Board cert and license PSV screenshots are in CAQH.

Target effective date 1/15/2027 if your committee can take her on 12/10.

Thanks!
Monique Faulkner, CPCS
''', atts=[('Whitcomb_H_InitialCred_GLHP.zip', 'credentialing_packet_whitcomb.zip')]),
dict(cat='c-research', slug='consent-page-photo', phi=True, unreadable=True, why='phone photo (PNG) of a signed consent page with participant name, DOB and sleep apnea; body says nothing identifying',
 where=['attachment:png'], subj='consent sig page',
 **{'from': 'Priyanka Shah <pshah2@lakeshore-u.edu>'}, to='Carla Mendes <cmendes@lakeshorehealth.org>', date='Mon, 23 Nov 2026 16:48:00 -0600',
 body='''the scanner on 3 is down so I took a pic of the last page, original is in the binder

Sent from my iPhone
''', atts=[('IMG_4471.png', 'consent_sigpage.png')]),
dict(cat='c-quality', slug='hac-code-definitions', phi=False, why='list of ICD-10-CM codes defining hospital-acquired conditions; codes without any patient',
 where=['body'], subj='HAC definitions for the new dashboard - which codes?',
 **{'from': 'Brandon Ng <bng@lakeshorehealth.org>'}, to='Ruth Eilers <reilers@lakeshorehealth.org>', date='Tue, 24 Nov 2026 10:30:00 -0600',
 body='''Ruth,

For the HAC tiles I'm planning to use POA = N on these:

 - Stage 3/4 pressure injury: L89.x3, L89.x4 (e.g. L89.153, L89.154)
 - Falls with fracture: W19.XXXA as cause + S72.0x-S72.2x
 - CAUTI: T83.511A + N39.0
 - CLABSI: T80.211A
 - Iatrogenic pneumothorax: J95.811
 - Poor glycemic control: E11.00, E11.641, E16.0

Am I missing anything from the CMS list? Also do we count ED falls (POA exempt)?

B
'''),
dict(cat='c-ops', slug='generator-test-fwd-chain', phi=False, why='forwarded facilities chain about generator load test and which units lose normal power',
 where=['body', 'quoted'], subj='FW: FW: Generator load test 12/10 - confirm ICU vent plan',
 **{'from': 'Pam Richter <prichter@lakeshorehealth.org>'}, to='MICU Charge RNs <micu-charge@lakeshorehealth.org>', date='Thu, 3 Dec 2026 19:20:00 -0600',
 body='''Charge nurses - see below. Please make sure every vent and IV pump is on a red outlet before 0530 on 12/10. RT will round at 0500.

Pam

From: Facilities <facilities@lakeshorehealth.org>
Sent: Thursday, December 3, 2026 2:02 PM
To: House Supervisors <house-sups@lakeshorehealth.org>
Subject: FW: Generator load test 12/10 - confirm ICU vent plan

Supervisors, forwarding from the vendor. Transfer test is 0600-0630.

From: Power Systems Service <dispatch@midwestpower.example.com>
Sent: Wednesday, December 2, 2026 9:41 AM
To: Facilities <facilities@lakeshorehealth.org>
Subject: Generator load test 12/10

Confirming the annual 4-hour load bank test on Gen 1 and 2, with a live ATS transfer at 0600. Expect a 10-second interruption on normal (white) outlets.
'''),
]
