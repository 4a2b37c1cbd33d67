"""The workflow and publishing commands, end to end on both engines."""

import pytest
from click.testing import CliRunner

from pim.cli import main
from tests.integration.workflow.factories import complete_speaker, incomplete_speaker, write


@pytest.fixture
def cli(catalog):
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        return result

    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), incomplete_speaker("EL-2"))
    return invoke


def test_publish_lists_what_it_refused_and_why(cli):
    result = cli("publish", "--channel", "webshop-uk", "--sku", "EL-1", "--sku", "EL-2",
                 "--ready")
    assert result.exit_code == 0, result.output
    assert "1 published" in result.output
    assert "refused EL-2: fails the channel schema in en_GB" in result.output
    assert "description [en_GB]: description is required" in result.output


def test_completeness_prints_a_summary_per_channel_and_locale(cli):
    result = cli("completeness", "--channel", "webshop-uk")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].split() == ["webshop-uk", "en_GB", "2", "1", "90.0",
                                                     "1"]


def test_a_release_goes_from_creation_to_publication(cli):
    assert "release 1 'Spring': draft" in cli("release", "create", "Spring").output
    cli("release", "add", "1", "--channel", "webshop-uk", "--sku", "EL-1")
    cli("release", "submit", "1")
    cli("release", "approve", "1")
    result = cli("release", "publish", "1")
    assert "1 published, 0 unchanged, 0 refused" in result.output


def test_a_feed_key_is_printed_once_and_listed_by_prefix(cli):
    created = cli("feedkey", "create", "--channel", "webshop-uk", "--name", "Acme")
    key = created.output.splitlines()[1]
    listed = cli("feedkey", "list").output
    assert key.startswith("pfk_") and key not in listed and key[:12] in listed
    assert "feed key 1 revoked" in cli("feedkey", "revoke", "1").output


def test_exporting_a_channel_with_nothing_published_says_so(cli, tmp_path):
    output = tmp_path / "feed.csv"
    result = cli("export", "webshop-uk", "--format", "csv", "-o", output)
    assert result.exit_code == 0, result.output
    assert "no products: nothing is published in webshop-uk (en_GB)" in result.output
    assert output.read_text().count("\n") == 1  # the header, for a consumer to read


def test_an_empty_delta_writes_no_file_and_says_so(cli, tmp_path):
    from pim.db import utcnow

    cli("publish", "--channel", "webshop-uk", "--sku", "EL-1", "--ready")
    since = utcnow().isoformat()
    output = tmp_path / "delta.xml"

    result = cli("export", "webshop-uk", "--format", "bmecat", "--since", since, "-o", output)

    assert result.exit_code == 0, result.output
    assert "nothing published or withdrawn in webshop-uk (en_GB) since" in result.output
    assert "no file written" in result.output
    assert not output.exists()


def test_an_export_names_how_many_products_it_wrote(cli, tmp_path):
    cli("publish", "--channel", "webshop-uk", "--sku", "EL-1", "--ready")
    output = tmp_path / "feed.xml"
    result = cli("export", "webshop-uk", "--format", "bmecat", "-o", output)
    assert f"{output}: " in result.output and "bytes, 1 products" in result.output


def test_completeness_never_shows_100_percent_while_a_product_fails(cli, catalog):
    from sqlalchemy import update

    from pim.workflow.models import Completeness

    cli("completeness", "--channel", "webshop-uk")
    with catalog() as s, s.begin():  # EL-2 has every required field but breaks a rule
        s.execute(update(Completeness).values(percent=100))
    result = cli("completeness", "--channel", "webshop-uk")
    assert result.output.splitlines()[1].split() == ["webshop-uk", "en_GB", "2", "1", "99.9",
                                                     "1"]


def test_the_completeness_average_is_rounded_down(catalog):
    from sqlalchemy import select, update

    from pim.workflow.completeness import completeness_summary
    from pim.workflow.models import Completeness

    with catalog() as s, s.begin():
        write(s, *(complete_speaker(f"EL-{n}") for n in range(1, 21)))
    with catalog() as s, s.begin():
        uk = Completeness.channel_code == "webshop-uk"
        s.execute(update(Completeness).where(uk).values(percent=100, passed=True))
        one = s.scalars(select(Completeness.product_id).where(uk).limit(1)).one()
        s.execute(update(Completeness).where(uk, Completeness.product_id == one)
                  .values(percent=99))
        (row,) = completeness_summary(s, "webshop-uk")
    assert (row["products"], row["failing"]) == (20, 0)
    assert row["average_percent"] == 99.9  # 99.95 rounded down, not up to 100.0
