"""The error summary of a page with one problem (templates/includes/error_one.html): GOV.UK's error summary
whose message links to the control to fix, or says it in plain text where there is no one control."""

import lxml.html
from django.template.loader import render_to_string


def summary(**context) -> lxml.html.HtmlElement | None:
    html = render_to_string("includes/error_one.html", context).strip()
    return lxml.html.fromstring(html) if html else None


def test_the_message_links_to_the_control_to_fix():
    shown = summary(error="Say what the conflict is.", field_id="reason")
    assert shown.get("class") == "govuk-error-summary" and shown.get("data-module") == "govuk-error-summary"
    assert shown.find_class("govuk-error-summary__title")[0].text_content() == "There is a problem"
    (link,) = shown.xpath(".//ul[contains(@class, 'govuk-error-summary__list')]/li/a")
    assert (link.get("href"), link.text_content()) == ("#reason", "Say what the conflict is.")


def test_without_a_control_the_message_is_plain_text():
    shown = summary(error="The file could not be read.")
    assert shown.xpath(".//a") == []
    assert shown.xpath(".//p[@class='govuk-body']/text()") == ["The file could not be read."]


def test_no_problem_shows_nothing():
    assert summary(error="", field_id="reason") is None
    assert summary() is None
