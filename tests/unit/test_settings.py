from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import Settings, SettingsError


def test_defaults_without_environment() -> None:
    s = Settings.from_env({})
    assert s == Settings()
    assert s.redis_url is None
    assert s.port == 8000
    assert s.embedder == "onnx"
    assert s.model_cache_dir is None  # the adapter's default cache folder
    assert s.embed_batch_size == 0  # the embedder's own pass size


def test_reads_top_level_and_stage_fields() -> None:
    s = Settings.from_env(
        {
            "WIREDESK_REDIS_URL": "redis://example:6379/1",
            "WIREDESK_PORT": "9000",
            "WIREDESK_DATA_DIR": "/tmp/wd",
            "WIREDESK_API_KEYS": "k1, k2,",
            "WIREDESK_EMBEDDER": "hash",
            "WIREDESK_MODEL_CACHE_DIR": "/tmp/wd-models",
            "WIREDESK_EMBED_BATCH_SIZE": "8",
            "WIREDESK_DEDUP__THRESHOLD": "0.93",
            "WIREDESK_GROUP__WINDOW_HOURS": "48",
            "WIREDESK_SUMMARIZE__MAX_WORDS": "150",
            "UNRELATED": "x",
        }
    )
    assert s.redis_url == "redis://example:6379/1"
    assert s.port == 9000
    assert s.data_dir == Path("/tmp/wd")
    assert s.api_keys == ("k1", "k2")
    assert s.embedder == "hash"
    assert s.model_cache_dir == Path("/tmp/wd-models")
    assert s.embed_batch_size == 8
    assert s.dedup.threshold == 0.93
    assert s.group.window_hours == 48.0
    assert s.summarize.max_words == 150


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WIREDESK_PORT", "eighty"),
        ("WIREDESK_PORT", "0"),
        ("WIREDESK_EMBEDDER", "gpt"),
        ("WIREDESK_DEDUP__THRESHOLD", "2"),
        ("WIREDESK_NEIGHBOURS", "-1"),
        ("WIREDESK_EMBED_BATCH_SIZE", "-4"),
        ("WIREDESK_EMBEDDER", "onnx-fp16"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({name: value})


def test_plain_host_and_port_are_read_when_the_prefixed_ones_are_unset() -> None:
    plain = Settings.from_env({"HOST": "0.0.0.0", "PORT": "9000"})
    assert (plain.host, plain.port) == ("0.0.0.0", 9000)
    both = Settings.from_env({"PORT": "9000", "WIREDESK_PORT": "8100", "HOST": " "})
    assert (both.host, both.port) == ("127.0.0.1", 8100)
    with pytest.raises(SettingsError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})


@pytest.mark.parametrize("value", [" , ", ",", " ,, "])
def test_api_keys_that_hold_no_key_refuse_to_start(value: str) -> None:
    """``WIREDESK_API_KEYS=" , "`` used to turn authentication off without a word (issue 13)."""
    with pytest.raises(SettingsError, match="WIREDESK_API_KEYS is set but holds no key"):
        Settings.from_env({"WIREDESK_API_KEYS": value})
    assert Settings.from_env({"WIREDESK_API_KEYS": ""}).api_keys == ()
    assert Settings.from_env({"WIREDESK_API_KEYS": " k1 , k2 "}).api_keys == ("k1", "k2")


def test_brief_cache_lengths_parse_as_integers() -> None:
    assert Settings.from_env({"WIREDESK_BRIEF_CACHE_LENGTHS": "60, 120"}).brief_cache_lengths == (
        60,
        120,
    )
    with pytest.raises(SettingsError, match="WIREDESK_BRIEF_CACHE_LENGTHS"):
        Settings.from_env({"WIREDESK_BRIEF_CACHE_LENGTHS": "60, long"})
