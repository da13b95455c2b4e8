"""Alert rules and incidents (SPEC §10). Rules are management endpoints (AdminDep); the effective
rule of a metric and the incidents are read by every dashboard."""

from __future__ import annotations

import math
import time
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response

from chronoview.alerting.incidents import Incident
from chronoview.alerting.rules import Rule
from chronoview.api.auth import AdminDep
from chronoview.deps import ServicesDep, StorageDep
from chronoview.points import format_ts
from chronoview.schemas import (
    AlertOut,
    AlertRuleIn,
    AlertRuleOut,
    EffectiveRuleOut,
    IncidentDetailOut,
    IncidentOut,
    MetricName,
)
from chronoview.storage.base import RuleConflict

router = APIRouter(tags=["alerting"])

RuleId = Annotated[int, "the rule's id"]


def _rule_out(rule: Rule) -> AlertRuleOut:
    return AlertRuleOut(**rule.as_json())


def _incident_out(incident: Incident) -> IncidentOut:
    return IncidentOut(**incident.as_json())


@router.get("/alert-rules", response_model=list[AlertRuleOut])
async def list_rules(_admin: AdminDep, storage: StorageDep) -> list[AlertRuleOut]:
    """Every rule, oldest first."""
    return [_rule_out(rule) for rule in await storage.alert_rules()]


@router.post("/alert-rules", status_code=201, response_model=AlertRuleOut,
             responses={400: {}, 409: {}, 422: {}})
async def create_rule(_admin: AdminDep, services: ServicesDep, body: AlertRuleIn) -> AlertRuleOut:
    """A new rule; 409 when one with the same `match` exists."""
    try:
        rule = await services.storage.create_alert_rule(body.model_dump())
    except RuleConflict:
        raise HTTPException(409, f"a rule for {body.match!r} exists already") from None
    await services.rules.refresh()  # this process at once; the others within a poll
    return _rule_out(rule)


@router.get("/alert-rules/{rule_id}", response_model=AlertRuleOut, responses={404: {}})
async def get_rule(_admin: AdminDep, storage: StorageDep, rule_id: RuleId) -> AlertRuleOut:
    rule = await storage.alert_rule(rule_id)
    if rule is None:
        raise HTTPException(404, "no such alert rule")
    return _rule_out(rule)


@router.put("/alert-rules/{rule_id}", response_model=AlertRuleOut,
            responses={400: {}, 404: {}, 409: {}, 422: {}})
async def replace_rule(
    _admin: AdminDep, services: ServicesDep, rule_id: RuleId, body: AlertRuleIn
) -> AlertRuleOut:
    """Replace a rule whole (fields left out take their defaults)."""
    try:
        rule = await services.storage.update_alert_rule(rule_id, body.model_dump())
    except RuleConflict:
        raise HTTPException(409, f"a rule for {body.match!r} exists already") from None
    if rule is None:
        raise HTTPException(404, "no such alert rule")
    await services.rules.refresh()
    return _rule_out(rule)


@router.delete("/alert-rules/{rule_id}", status_code=204, responses={404: {}})
async def delete_rule(_admin: AdminDep, services: ServicesDep, rule_id: RuleId) -> Response:
    if not await services.storage.delete_alert_rule(rule_id):
        raise HTTPException(404, "no such alert rule")
    await services.rules.refresh()
    return Response(status_code=204)


@router.get("/metrics/{metric}/rule", response_model=EffectiveRuleOut)
async def effective_rule(services: ServicesDep, metric: MetricName) -> EffectiveRuleOut:
    """The rule fields in force for a metric and where they come from."""
    effective = services.rules.effective(metric)
    source: Literal["rule", "defaults"] = "defaults" if effective.rule is None else "rule"
    return EffectiveRuleOut(metric=metric, source=source, rule=effective.as_json())


@router.get("/incidents", response_model=list[IncidentOut])
async def list_incidents(
    storage: StorageDep,
    state: Literal["firing", "resolved"] | None = None,
    metric: MetricName | None = None,
    hours: Annotated[float, Query(gt=0, le=24 * 36500, allow_inf_nan=False)] = 24.0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[IncidentOut]:
    """Incidents started or resolved in the last `hours`, and every open one; newest first."""
    found = await storage.incidents(state, metric, time.time() - hours * 3600, limit)
    return [_incident_out(incident) for incident in found]


@router.get("/incidents/{incident_id}", response_model=IncidentDetailOut, responses={404: {}})
async def get_incident(storage: StorageDep, incident_id: UUID) -> dict[str, Any]:
    """One incident with its alert points."""
    incident = await storage.incident(incident_id)
    if incident is None:
        raise HTTPException(404, "no such incident")
    end = incident.resolved_at if incident.resolved_at is not None else math.inf
    last = min(end, incident.last_alert_at)
    alerts = await storage.alerts(incident.metric, incident.started_at, last, 10_000)
    return {**incident.as_json(), "alerts": [
        AlertOut(metric=a.point.metric, value=a.point.value, ts=format_ts(a.point.ts), zscore=a.score.zscore,
                 mean=a.score.mean, std=a.score.std, n=a.score.n)
        for a in reversed(alerts)
    ]}
