C = 'c-community'
MSGS = [
dict(cat=C, slug='winter-newsletter', phi=False, why='patient-education newsletter PDF: generic health tips and new providers',
 where=['attachment:pdf', 'body'], subj='Healthy Lakeshore - Winter 2026 newsletter',
 **{'from': 'Lakeshore Health <news@lakeshorehealth.org>'}, to='Community List <community-list@lakeshorehealth.org>', date='Tue, 1 Dec 2026 10:00:00 -0600',
 hdrs={'List-Unsubscribe': '<mailto:unsubscribe@lakeshorehealth.org>'},
 body='''Your Winter 2026 issue of Healthy Lakeshore is here (PDF attached).

Inside: walk-in flu and COVID vaccine Saturdays, five tips for managing diabetes over the holidays, a free heart-healthy cooking class, and our new providers.

Reply STOP to unsubscribe.
''', atts=[('HealthyLakeshore_Winter2026.pdf', 'newsletter_winter.pdf')]),

dict(cat=C, slug='volunteer-schedule-zip', phi=False, why='volunteer schedule (zip with csv) listing volunteers names and phones; no patients',
 where=['attachment:zip'], subj='January volunteer schedule + packet',
 **{'from': 'Volunteer Services <volunteers@lakeshorehealth.org>'}, to='Barbara Kline <bkline52@yahoo.com>; Tom Rutledge <trutledge@comcast.net>; Arlene Fujimoto <afujimoto@gmail.com>; Jasmine Ortega <jortega.vol@gmail.com>; Harold Beckett <hbeckett@att.net>',
 date='Mon, 28 Dec 2026 15:00:00 -0600',
 body='''Happy holidays, volunteers!

January schedule and reminders are in the attached zip. Please check your shifts and let me know by 12/31 if anything needs to change.

A big thank-you to Harold, who has now given 1,000 hours in Surgery Waiting!

Warmly,
Gloria Tate
Volunteer Services Coordinator
''', atts=[('Volunteer_Jan2027.zip', 'volunteer_packet_jan.zip')]),

dict(cat=C, slug='donor-thank-you', phi=False, why='donor thank-you letter; donor named, gift to a cancer center, no care information',
 where=['body'], subj='Thank you for your gift to the Lakeshore Cancer Center',
 **{'from': 'Lakeshore Health Foundation <foundation@lakeshorehealth.org>'}, to='Mr. and Mrs. Gordon Whitley <gwhitley@outlook.com>', date='Thu, 3 Dec 2026 09:30:00 -0600',
 body='''Dear Gordon and Elaine,

On behalf of the Lakeshore Health Foundation, thank you for your generous gift of $5,000 to the Lakeshore Cancer Center Patient Comfort Fund. Your support provides warm blankets, parking vouchers and meal cards for families during treatment.

No goods or services were provided in exchange for this contribution. Please keep this letter for your tax records. Lakeshore Health Foundation is a 501(c)(3) organization, EIN 36-2190477.

With gratitude,

Patricia Moyer
President, Lakeshore Health Foundation
'''),

dict(cat=C, slug='grateful-patient-donor', phi=True, why='foundation email reveals a named donor was treated for breast cancer by a named oncologist',
 where=['body'], subj='Prospect note - Elaine Whitley (grateful patient)',
 **{'from': 'Patricia Moyer <pmoyer@lakeshorehealth.org>'}, to='Major Gifts Team <majorgifts@lakeshorehealth.org>', date='Fri, 4 Dec 2026 14:17:00 -0600',
 body='''Team,

Quick prospect note. Elaine Whitley finished her chemo for stage II breast cancer with Dr. Raman's team in October and her husband mentioned at the gala they'd like to do something bigger, maybe naming the infusion suite family lounge. Elaine is still getting Herceptin every 3 weeks, so let's not approach at the clinic - I'll call Gordon directly after the holidays.

Capacity rating: $250K+. Please log in Raiser's Edge.

Patricia
'''),

dict(cat=C, slug='health-fair-invite', phi=False, why='community health fair invitation with free screenings listed',
 where=['html'], subj='You\'re invited: Northside Community Health Fair - Sat Jan 16',
 **{'from': 'Lakeshore Community Outreach <outreach@lakeshorehealth.org>'}, to='Northside Neighbors <northside-neighbors@lists.lakeshorehealth.org>', date='Mon, 7 Dec 2026 08:00:00 -0600',
 body='''Northside Community Health Fair
Saturday, January 16, 2027 - 10 AM to 2 PM
Northside Rec Center, 4400 N. Ashland

Free: blood pressure checks, A1c fingersticks, cholesterol screening, flu shots, vision screening for kids, Medicare and Medicaid enrollment help.
Bring the whole family. Spanish and Polish interpreters available.
''', html='''<html><body style="font-family:Arial;background:#f4f8fb"><table width="600" align="center" style="background:#fff"><tr><td style="padding:20px">
<h1 style="color:#00558c">Northside Community Health Fair</h1><p><b>Saturday, January 16, 2027 &middot; 10 AM &ndash; 2 PM</b><br>Northside Rec Center, 4400 N. Ashland</p>
<p>Free: blood pressure checks, A1c fingersticks, cholesterol screening, flu shots, vision screening for kids, Medicare and Medicaid enrollment help.</p>
<p>Bring the whole family. <i>Hablamos espa&ntilde;ol. M&oacute;wimy po polsku.</i></p>
<p><a href="https://lakeshorehealth.org/healthfair" style="background:#00558c;color:#fff;padding:8px 14px;text-decoration:none">RSVP</a></p></td></tr></table></body></html>'''),

dict(cat=C, slug='support-group-announcement', phi=False, why='support group meeting notice; topic is a condition but nobody identifiable',
 where=['body'], subj='Parkinson\'s support group - December meeting moved',
 **{'from': 'Neuro Outreach <neuro-outreach@lakeshorehealth.org>'}, to='PD Support Group List <pd-support@lists.lakeshorehealth.org>', date='Wed, 2 Dec 2026 12:00:00 -0600',
 hdrs={'Bcc': ''},
 body='''Hello friends,

Our December Parkinson's support group is moving from Tuesday 12/15 to Thursday 12/17, same time (2-3:30 PM), Community Room A. Our speaker is a physical therapist from the LSVT BIG program.

Care partners welcome. Light refreshments.

This list is sent BCC to protect everyone's privacy.

Maria Santos, LCSW
'''),

dict(cat=C, slug='volunteer-reply-mentions-patient', phi=True, why='volunteer reports a named patient\'s dementia and fall risk from a playroom/lobby shift',
 where=['body', 'quoted'], subj='Re: January volunteer schedule + packet',
 **{'from': 'Harold Beckett <hbeckett@att.net>'}, to='Volunteer Services <volunteers@lakeshorehealth.org>', date='Tue, 29 Dec 2026 18:20:00 -0600',
 body='''Gloria,

Schedule is fine for me. One thing - on my Monday shift the wife of Mr. Leonard Sobczak (the gentleman in surgery waiting having his bypass, she said he has Alzheimer's) kept asking me when he'd be out and whether he'd remember her. I didn't know what to tell her. Is there someone from the chaplain office I can call next time?

Harold

On Mon, Dec 28, 2026 at 3:00 PM Volunteer Services wrote:
> Happy holidays, volunteers!
> January schedule and reminders are in the attached zip.
'''),

dict(cat=C, slug='5k-run-registration', phi=False, why='charity 5K registration confirmation; participant name, t-shirt size',
 where=['body'], subj='Registration confirmed: Lakeshore Heart Run 5K',
 **{'from': 'RaceReg <confirmations@racereg-mail.com>'}, to='kmoreno@gmail.com', date='Sat, 14 Nov 2026 20:41:00 -0600',
 body='''Thanks for registering, Kayla Moreno!

Event: Lakeshore Heart Run 5K (benefits the Heart Center)
Date: Sunday, February 7, 2027 - 8:00 AM
Bib pickup: Feb 6, 10 AM-4 PM, Lakeshore Main lobby
Shirt size: W-M
Team: 5 West Wonders
Amount paid: $35.00 (Visa ending 1201)

Order #RR-8841027
'''),

dict(cat=C, slug='patient-story-consented', phi=False, why='marketing blog draft written as a composite about knee replacement recovery; no identifiable patient',
 where=['body'], subj='draft blog post - "Back on the trail after knee replacement"',
 **{'from': 'Marketing <marketing@lakeshorehealth.org>'}, to='Ruth Okafor <rokafor@lakeshorehealth.org>', date='Wed, 18 Nov 2026 11:05:00 -0600',
 body='''Dr. Okafor,

Here's the general draft for the ortho blog - no patient this time, we're writing it as a composite so we don't need a release:

"Most people who have a total knee replacement are walking with a walker the same day and with a cane within a few weeks. Recovery usually takes three months, and physical therapy makes the biggest difference..."

Could you check the recovery timeline is accurate? We'd like to post 12/1.

Thanks!
Jenna, Marketing & Communications
'''),

dict(cat=C, slug='ceu-event-invite', phi=False, why='continuing-education event invite for community EMS',
 where=['body'], subj='EMS CE night - stroke recognition update (2 CEUs)',
 **{'from': 'EMS Liaison <ems@lakeshorehealth.org>'}, to='Area EMS Agencies <ems-agencies@lists.lakeshorehealth.org>', date='Tue, 10 Nov 2026 09:00:00 -0600',
 body='''Lakeshore Regional EMS CE Night
Tuesday, December 8, 2026 - 1800-2000 - Conference Center

Topic: Large vessel occlusion recognition in the field (BE-FAST, LAMS), door-to-needle data from our stroke center, and case reviews (de-identified).
2 IDPH CEUs. Dinner provided.

RSVP to ems@lakeshorehealth.org by 12/4.

Mike Kaminski, EMT-P, EMS Coordinator
'''),

dict(cat=C, slug='survey-invite-generic', phi=False, why='community needs assessment survey invite; no care information',
 where=['body'], subj='Tell us what your neighborhood needs - 2027 Community Health Needs Assessment',
 **{'from': 'Lakeshore Health <news@lakeshorehealth.org>'}, to='Community List <community-list@lakeshorehealth.org>', date='Thu, 5 Nov 2026 10:00:00 -0600',
 body='''Every three years we ask our neighbors what health issues matter most. The 2027 Community Health Needs Assessment survey takes about 10 minutes and is anonymous.

Take the survey: lakeshorehealth.org/chna

Paper copies are available in our lobbies in English, Spanish and Polish.
'''),
]
