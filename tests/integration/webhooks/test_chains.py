"""One job goes along an ordering chain, and a rerun of a job resumes what it had leased."""

from __future__ import annotations

import json

from tests.integration.webhooks.receiver import Receiver, Reply


def versions(receiver: Receiver) -> list[int]:
    return [json.loads(r.body)["data"]["snapshot_version"] for r in receiver.requests]


def test_one_job_sends_a_product_s_versions_in_order_and_its_other_subscriptions(hooks):
    from pim.webhooks.jobs import send_chains

    with Receiver() as first, Receiver() as second:
        subs = [hooks.subscribe(first), hooks.subscribe(second)]
        for version in (1, 2, 3):
            hooks.publish(sku="SKU-5", version=version)
        [head_1, head_2] = [hooks.deliveries(s.id)[-1].id for s in subs]  # newest first
        states = [o.state for o in send_chains([head_1, head_2])]
    assert states.count("succeeded") == 6
    assert versions(first) == versions(second) == [1, 2, 3]
    assert all(r.verified for r in first.requests + second.requests)
    for sub in subs:
        assert {d.status for d in hooks.deliveries(sub.id)} == {"succeeded"}


def test_a_chain_waits_behind_a_retry_and_its_job_schedules_it(hooks):
    from sqlalchemy import select

    from pim.db import read_session
    from pim.jobs.models import Job
    from pim.webhooks.jobs import send_chains

    with Receiver(lambda n, r: Reply(503 if n == 0 else 200)) as receiver:
        sub = hooks.subscribe(receiver)
        for version in (1, 2):
            hooks.publish(version=version)
        first = hooks.deliveries(sub.id)[-1]
        outcomes = send_chains([first.id])
    assert [(o.delivery_id, o.state) for o in outcomes] == [(first.id, "retry")]
    assert versions(receiver) == [1]  # version 2 did not overtake the retry
    with read_session() as session:
        scheduled = session.execute(select(Job.payload, Job.run_at)
                                    .where(Job.status == "scheduled")).all()
    assert scheduled == [({"delivery_id": first.id}, outcomes[0].next_attempt_at)]


def test_a_rerun_job_takes_back_its_leases_and_goes_on_along_the_chain(hooks):
    from pim.db import session_scope, utcnow
    from pim.webhooks.delivery import claim_many, deliver_many
    from pim.webhooks.jobs import send_chains

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        for version in (1, 2, 3):
            hooks.publish(sku="SKU-8", version=version)
        first, second, _third = reversed(hooks.deliveries(sub.id))
        # The first run of job abc sent version 1, then died while sending version 2.
        assert deliver_many([first.id], "job:abc")[0].state == "succeeded"
        with session_scope() as session:
            claim_many(session, [second.id], utcnow(), "job:abc")
        assert send_chains([second.id], claimer="job:other")[0].state == "not_due"
        outcomes = send_chains([first.id], claimer="job:abc", resume=True)
    assert versions(receiver) == [1, 2, 3]
    assert [o.state for o in outcomes].count("succeeded") == 2
    deliveries = list(reversed(hooks.deliveries(sub.id)))
    assert [d.status for d in deliveries] == ["succeeded"] * 3
    assert [[a.status_code for a in d.attempts] for d in deliveries] == [[204]] * 3
