"""The test factories: one builder per entity, one signature each.

``build_*`` returns an unsaved model, ``make_*`` saves it; payload builders
(``org_application``, ``project_draft``, ``gift``) return what a client sends.
Keyword arguments override any default, so each test states only what it is about.
"""

from tests.factories.donations import gift, make_donation
from tests.factories.imports import HEADER_EN, HEADER_ZH, csv_bytes, row, xlsx_bytes
from tests.factories.orgs import T0, build_org, certificate, credit_code, make_org, org_application, today
from tests.factories.payments import AlipayKeys, WechatKeys, rsa_key, sandbox_headers_body
from tests.factories.projects import CHARITY_NAME, PROJECT_TITLE, build_project, make_project, project_draft, reload
from tests.factories.streams import stream_event, stream_record

__all__ = [
    "CHARITY_NAME",
    "HEADER_EN",
    "HEADER_ZH",
    "PROJECT_TITLE",
    "T0",
    "AlipayKeys",
    "WechatKeys",
    "build_org",
    "build_project",
    "certificate",
    "credit_code",
    "csv_bytes",
    "gift",
    "make_donation",
    "make_org",
    "make_project",
    "org_application",
    "project_draft",
    "reload",
    "row",
    "rsa_key",
    "sandbox_headers_body",
    "stream_event",
    "stream_record",
    "today",
    "xlsx_bytes",
]
