"""No donor phone number, ID number or token reaches the logs."""

import json

from chalicelib.observability import Logger, RedactingFormatter, redact


def test_redact_masks_phone_id_number_and_tokens():
    line = "donor 13812345678 id 11010519491231002X token eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl Bearer abc.def"
    cleaned = redact(line)
    for secret in ("13812345678", "11010519491231002X", "eyJhbGciOi", "abc.def"):
        assert secret not in cleaned
    assert "[phone]" in cleaned and "[id_number]" in cleaned and "[token]" in cleaned


def test_redact_leaves_amounts_and_ids_alone():
    assert redact("amount_fen=123456 donation 01JABCDEF") == "amount_fen=123456 donation 01JABCDEF"


def test_logger_output_is_redacted(capsys):
    # Given a Powertools logger with gongyi's formatter
    log = Logger(service="redaction-test", logger_formatter=RedactingFormatter())
    # When personal data is logged, in the message and in extra keys
    log.info("paid by 13912345678", extra={"headers": {"authorization": "Bearer eyJa.eyJb.sig"}})
    # Then none of it is printed
    out = capsys.readouterr().out
    record = json.loads(out.strip().splitlines()[-1])
    assert "13912345678" not in out and "eyJa.eyJb" not in out
    assert record["message"] == "paid by [phone]"
