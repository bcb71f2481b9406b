"""The privacy notice (Personal Data Protection Act B.E. 2562, section 23): what personal data this
system holds, why, on what basis, for how long, who sees it, and the data subject's rights.
Readable before logging in (a link on the login page) and from the sidebar.

The controller and its contact are the installation's (``DISCRETION_PRIVACY_CONTROLLER``,
``DISCRETION_PRIVACY_CONTACT``, docs/record-of-processing.md); the record of processing that
section 39 asks the controller to keep is docs/record-of-processing.md."""

from __future__ import annotations

import os

import streamlit as st
from i18n import lang, t
from present import plain

controller = os.environ.get("DISCRETION_PRIVACY_CONTROLLER", "").strip()
contact = os.environ.get("DISCRETION_PRIVACY_CONTACT", "").strip()
th = lang() == "th"
if not controller:
    controller = "สำนักงานจังหวัดขอนแก่น" if th else "Khon Kaen Provincial Office"
if not contact:
    contact = ("ผู้ดูแลระบบของหน่วยงานท่าน (ผู้ติดตั้งระบบยังไม่ได้ระบุช่องทางติดต่อ)" if th
               else "your agency's system administrator (the installation has not named a contact yet)")

TH = f"""
ประกาศนี้แจ้งตาม **พระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562 มาตรา 23** ว่าระบบตรวจสอบการใช้ดุลพินิจนี้เก็บ
ใช้ และเปิดเผยข้อมูลส่วนบุคคลใด เพื่ออะไร และท่านมีสิทธิอย่างไร

#### 1. ผู้ควบคุมข้อมูลส่วนบุคคล
{plain(controller)} — ติดต่อ: {plain(contact)}

#### 2. วัตถุประสงค์และฐานทางกฎหมาย
ตรวจสอบการใช้ดุลพินิจของเจ้าหน้าที่ตามมาตรการตรวจสอบการใช้ดุลพินิจของจังหวัดขอนแก่น (หนังสือ ขก ๐๐๑๗.๕/ว ๑๕๐๑๕
ลงวันที่ ๑๕ มิถุนายน ๒๕๖๒) และการประเมินคุณธรรมและความโปร่งใส (ITA): การสอบทานการพิจารณา การรายงานผู้บังคับบัญชา
การวิเคราะห์ความเสี่ยง และการรายงานต่อจังหวัด รวมทั้งการรักษาความปลอดภัยของระบบ (บันทึกการเข้าสู่ระบบ
และบันทึกการตรวจสอบย้อนหลัง) ฐานทางกฎหมายคือ **มาตรา 24 (4)** การปฏิบัติหน้าที่ในการดำเนินภารกิจเพื่อประโยชน์สาธารณะ
และการใช้อำนาจรัฐที่ได้มอบให้ ระบบไม่ได้อาศัยความยินยอม

#### 3. ข้อมูลที่เก็บ
- **ผู้ใช้ระบบ**: ชื่อผู้ใช้ ชื่อที่แสดง บทบาท หน่วยงาน เจ้าหน้าที่ที่บัญชีเชื่อมโยง รหัสผ่าน (เก็บเฉพาะค่าแฮช Argon2id)
  การเข้าสู่ระบบแต่ละครั้ง (เวลา ที่อยู่เครือข่ายต้นทาง สำเร็จหรือไม่ ชื่อที่พิมพ์ผิดเก็บเป็นค่าแฮชที่มีกุญแจเท่านั้น)
  และทุกการพิจารณาข้อสังเกตพร้อมเหตุผลที่ท่านพิมพ์
- **เจ้าหน้าที่ในข้อมูลที่หน่วยงานนำเข้า**: รหัส ชื่อ ตำแหน่ง ผู้บังคับบัญชา วันที่ดำรงตำแหน่ง วันที่รับทราบประมวลจริยธรรม
  และเรื่องที่พิจารณา สอบทาน หรือรายงาน
- **ผู้ยื่นคำขอ**: เก็บเฉพาะ **รหัสแฝง** (applicant_id) ที่หน่วยงานกำหนดเอง ระบบไม่รับเลขประจำตัวประชาชน
  (ไฟล์ที่มีเลขประจำตัวประชาชนถูกปฏิเสธทั้งไฟล์) และข้อมูลว่าผู้พิจารณามีส่วนได้เสียหรือไม่
- **หลักฐานการประเมินตนเอง**: ลิงก์ บันทึก และไฟล์ที่หน่วยงานแนบ (โปรดแนบเฉพาะที่จำเป็น)

#### 4. ระยะเวลาเก็บรักษา
ข้อมูลที่นำเข้าของหน่วยงานถูกแทนที่ทุกครั้งที่หน่วยงานนำเข้าใหม่ บันทึกการพิจารณา บันทึกการเปลี่ยนแปลงบัญชีผู้ใช้
และบันทึกการเข้าสู่ระบบเป็นบันทึกการตรวจสอบย้อนหลังที่แก้ไขหรือลบไม่ได้ จึงเก็บตลอดอายุของระบบ
เว้นแต่ผู้ควบคุมข้อมูลส่วนบุคคลกำหนดให้ทำลายตามระเบียบว่าด้วยงานสารบรรณ บัญชีผู้ใช้ที่ระงับแล้วยังคงอยู่เพื่อให้ประวัติอ่านได้

#### 5. ผู้ที่เห็นข้อมูล
ผู้ใช้ของหน่วยงานเห็นเฉพาะข้อมูลของหน่วยงานตน เจ้าหน้าที่จังหวัดและผู้ดูแลระบบเห็นทุกหน่วยงาน รายงานที่ส่งจังหวัด
และหลักฐานประกอบการประเมิน ITA มีเฉพาะที่รายงานนั้นต้องใช้ ระบบไม่ส่งข้อมูลไปต่างประเทศ

#### 6. สิทธิของเจ้าของข้อมูลส่วนบุคคล
ท่านมีสิทธิขอเข้าถึงและขอรับสำเนา (มาตรา 30) ขอรับหรือให้โอนข้อมูล (มาตรา 31) คัดค้าน (มาตรา 32) ขอให้ลบหรือทำลาย
(มาตรา 33) ขอให้ระงับการใช้ (มาตรา 34) และขอให้แก้ไขให้ถูกต้อง (มาตรา 35 และ 36) ตามเงื่อนไขที่กฎหมายกำหนด
โดยติดต่อผู้ควบคุมข้อมูลส่วนบุคคลข้างต้น และร้องเรียนต่อคณะกรรมการผู้เชี่ยวชาญตามมาตรา 73 ได้ หากไม่ให้ข้อมูลที่ภารกิจนี้ต้องใช้
หน่วยงานจะตรวจสอบการใช้ดุลพินิจตามมาตรการไม่ได้

#### 7. การรักษาความปลอดภัย
รหัสผ่านเก็บเป็นค่าแฮช บันทึกการตรวจสอบย้อนหลังเชื่อมกันด้วยค่าแฮชที่มีกุญแจซึ่งเก็บแยกจากฐานข้อมูล สิทธิเข้าถึงแยกตามบทบาท
และหน่วยงาน และการเข้าสู่ระบบที่ผิดซ้ำถูกชะลอ
"""

EN = f"""
This notice is given under **section 23 of the Personal Data Protection Act B.E. 2562 (2019)**: what personal
data this discretion review system collects, uses and discloses, why, and your rights.

#### 1. Data controller
{plain(controller)} — contact: {plain(contact)}

#### 2. Purposes and legal basis
Checking officials' use of discretion under Khon Kaen province's measures (letter ขก ๐๐๑๗.๕/ว ๑๕๐๑๕ of 15 June
2562) and the Integrity and Transparency Assessment (ITA): review of decisions, reports up the chain, risk
analysis and reporting to the province, and keeping the system secure (login records, audit trails). The legal
basis is **section 24 (4)**: performing a task in the public interest and exercising official authority. The
system does not rely on consent.

#### 3. Data collected
- **Users**: user name, display name, role, agency, the officer the account is linked to, the password (as an
  Argon2id hash only), each login attempt (time, source address, outcome; a mistyped name only as a keyed hash),
  and every decision on a flag with the reason typed.
- **Officers in the data agencies import**: id, name, position, supervisor, dates in position and of the ethics
  acknowledgement, and the cases they decided, reviewed or reported.
- **Applicants**: only a **pseudonymous** applicant_id the agency assigns; citizen ID numbers are refused (a file
  holding one is refused whole); whether the decider had an interest.
- **Self-assessment evidence**: links, notes and files the agency attaches (attach only what is needed).

#### 4. Retention period
An agency's imported data is replaced at each new import. Decisions, changes to user accounts and login
attempts are audit trails that cannot be changed or deleted, and are kept for the life of the system unless
the controller orders their destruction under the regulation on official correspondence. A disabled account
stays so that its history can be read.

#### 5. Who sees the data
An agency's users see their own agency only; provincial officers and administrators see every agency. Reports
sent to the province and the ITA evidence hold only what they need. No data is sent abroad.

#### 6. Your rights
Access and a copy (section 30), portability (section 31), objection (section 32), erasure (section 33),
restriction (section 34) and rectification (sections 35 and 36), on the conditions the Act sets: ask the
controller above; you may complain to the expert committee (section 73). Without the data this task needs, the
agency cannot check the use of discretion as the measures require.

#### 7. Security
Passwords are stored as hashes; audit trails are chained by keyed hashes whose key is kept outside the database;
access is limited by role and agency; repeated failed logins are slowed down.
"""

st.title(t("nav.privacy"))
st.markdown(TH if th else EN)
