"""Settings are validated at cold start and name what is wrong."""

import pytest

from chalicelib.config import SettingsError, load_settings
from infra.build import stage_environment


def test_every_stage_in_config_json_is_a_valid_settings_object():
    for stage in ("local", "dev", "prod"):
        # Given the environment a Lambda function of that stage sees
        env = stage_environment(stage, {"GONGYI_AWS_ENDPOINT": "http://127.0.0.1:1"} if stage == "local" else {})
        # When it is loaded, Then the stage and prefixed names come out
        settings = load_settings(env)
        assert settings.stage == stage
        assert settings.table_name("projects") == f"gongyi-{stage}-projects"


def test_a_missing_setting_fails_naming_it():
    env = stage_environment("prod")
    del env["GONGYI_RECEIPTS_BUCKET"]
    with pytest.raises(SettingsError, match="GONGYI_RECEIPTS_BUCKET"):
        load_settings(env)


def test_a_malformed_setting_fails_naming_it():
    env = stage_environment("prod", {"GONGYI_COUNTER_SHARDS": "many"})
    with pytest.raises(SettingsError, match="GONGYI_COUNTER_SHARDS"):
        load_settings(env)


def test_local_stage_needs_the_embedded_aws_endpoint():
    env = stage_environment("local")
    env.pop("GONGYI_AWS_ENDPOINT", None)
    with pytest.raises(SettingsError, match="GONGYI_AWS_ENDPOINT"):
        load_settings(env)


def test_deployed_stages_refuse_literal_secrets():
    env = stage_environment("prod", {"GONGYI_SECRETS_SOURCE": "env"})
    with pytest.raises(SettingsError, match="GONGYI_SECRETS_SOURCE"):
        load_settings(env)


def test_bounds_and_choices_are_enforced_naming_the_variable():
    for variable, value in (
        ("GONGYI_RECEIPTS_LINK_SECONDS", "901"),
        ("GONGYI_DONATION_CAP_FEN", "0"),
        ("GONGYI_PROJECT_CACHE_SECONDS", "-1"),
        ("GONGYI_STAGE", "qa"),
        ("GONGYI_TABLE_PREFIX", "Upper-"),
    ):
        with pytest.raises(SettingsError, match=variable):
            load_settings(stage_environment("prod", {variable: value}))


def test_numbers_are_parsed_and_copies_keep_the_rest():
    settings = load_settings(stage_environment("prod", {"GONGYI_PROJECT_CACHE_SECONDS": "2.5"}))
    assert settings.project_cache_seconds == 2.5 and settings.default_counter_shards == 10
    copy = settings.model_copy(update={"default_counter_shards": 3})
    assert copy.default_counter_shards == 3 and copy.model_dump()["stage"] == "prod"
