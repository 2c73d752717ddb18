"""A small school for end-to-end tests: two classes, their teachers, a doctor, a counselor,
admins, isolated and non-isolated students. Numbers are stable so tests can refer to them."""

from __future__ import annotations

STAFF_CSV = """staff_number,name,school,role,classes,language
T01,王老师,城关一中,teacher,初二(3)班,zh-CN
T02,Ms Smith,城关一中,teacher,初二(4)班,en
D01,李医生,城关一中,doctor,,zh-CN
C01,陈老师,城关一中,counselor,,zh-CN
A01,赵校长,城关一中,admin,,zh-CN
B01,教育局刘科长,,admin,,zh-CN
T91,孙老师,实验小学,teacher,三年级(1)班,zh-CN
"""

STUDENTS_HEADER = (
    "student_number,name,school,class,isolation,isolation_start,isolation_end,language,"
    "guardian_consent\n"
)
STUDENTS_CSV = (
    STUDENTS_HEADER
    + """\
S001,张小明,城关一中,初二(3)班,home,2026-11-25,2026-12-05,zh-CN,yes
S002,李华,城关一中,初二(3)班,centralized,2026-11-26,,zh-CN,yes
S003,Tom Lee,城关一中,初二(3)班,on_campus,2026-11-27,,en,yes
S004,王芳,城关一中,初二(3)班,,,,zh-CN,yes
S005,赵雷,城关一中,初二(4)班,home,2026-11-28,,zh-CN,no
S901,周小,实验小学,三年级(1)班,home,2026-11-28,,zh-CN,yes
"""
)

# A mother of two children in two schools (S005 in 初二(4)班, S901 in 三年级(1)班), and both
# parents of S001 with the father as the primary contact.
GUARDIANS_CSV = """学号,学校,监护人姓名,关系,手机,语言,主要联系人
S005,城关一中,赵妈妈,母亲,13800000001,,是
S901,实验小学,赵妈妈,母亲,13800000001,,是
S001,城关一中,张爸爸,父亲,13800000002,,是
S001,城关一中,张妈妈,母亲,13800000003,,否
"""

# Telegram user ids for the people above, used consistently across tests.
USER_IDS = {
    "T01": 1001,
    "T02": 1002,
    "D01": 1003,
    "C01": 1004,
    "A01": 1005,
    "B01": 1006,
    "T91": 1091,
    "S001": 2001,
    "S002": 2002,
    "S003": 2003,
    "S004": 2004,
    "S005": 2005,
    "S901": 2901,
    "13800000001": 4001,
    "13800000002": 4002,
    "13800000003": 4003,
}
