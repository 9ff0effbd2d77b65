"""Z.AI's business errors, explained in one line each: by the code in the body (direct), or by
Z.AI's message alone (the gateway passes the message on, not the code)."""

import pytest

from openhands_zai.cli.zai_api import ZAI_ERRORS, explain, zai_error_code

CODING = "https://api.z.ai/api/coding/paas/v4"
# Z.AI's messages as its API reference and users' reports show them.
MESSAGES = {
    "1220": ("You do not have permission to access glm-5.4", "may not use the model"),
    "1302": ("High concurrency usage of this API, please reduce concurrency", "too many requests in flight"),
    "1303": ("High frequency usage of this API, please reduce frequency", "too many requests per unit of time"),
    "1304": ("The daily call limit of this API has been reached", "daily call limit"),
    "1308": ("已达到 5 小时的使用上限。您的限额将在 2026-08-25 07:41:44 重置。", "usage limit"),
    "1309": ("Your GLM Coding Plan subscription has expired", "has expired: renew it"),
    "1310": ("[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-07-14 07:49:08]", "weekly or monthly"),
    "1313": ("Your account is restricted under the fair use policy", "fair-use rules"),
}


def test_every_explained_code_has_a_message_case():
    assert set(MESSAGES) <= set(ZAI_ERRORS)
    assert {"1220", "1303", "1304", "1309", "1310", "1313"} <= set(ZAI_ERRORS)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_the_code_in_the_body_is_explained(code):
    message, phrase = MESSAGES[code]
    text = explain(429, code, message, CODING, "glm-5.3")
    assert text.startswith(f"Z.AI error {code}: ") and phrase in text


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_the_message_alone_names_the_code(code):
    message, _ = MESSAGES[code]
    assert zai_error_code(None, f"litellm.RateLimitError: ZaiException - {message}") == code


def test_a_weekly_limit_in_chinese_is_not_taken_for_the_five_hour_one():
    assert zai_error_code(None, "已达到每周/每月使用上限。您的限额将在 2026-12-14 07:49:08 重置。") == "1310"
