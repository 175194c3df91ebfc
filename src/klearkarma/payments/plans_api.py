"""Routes for packages and memberships (buying one goes through POST /v1/payments/create-intent)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from klearkarma.core.db import SessionDep
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok
from klearkarma.identity.deps import CurrentPrincipal, Require
from klearkarma.identity.policy import Principal
from klearkarma.payments import plans
from klearkarma.payments.models import Plan, PlanPurchase
from klearkarma.payments.schemas import PlanIn, PlanOut, PurchaseOut

router = APIRouter(tags=["plans"], responses=ERROR_RESPONSES)

Manager = Annotated[Principal, Depends(Require("services:manage"))]


def plan_out(plan: Plan) -> PlanOut:
    return PlanOut(
        id=plan.id,
        practitioner_id=plan.practitioner_id,
        service_id=plan.service_id,
        kind=plan.kind,
        name=plan.name,
        sessions=plan.sessions,
        period_days=plan.period_days,
        price=plan.price,
        currency=plan.currency,
        is_active=plan.is_active,
    )


def purchase_out(bought: PlanPurchase, plan: Plan) -> PurchaseOut:
    return PurchaseOut(
        id=bought.id,
        plan_id=plan.id,
        plan_name=plan.name,
        kind=plan.kind,
        status=bought.status,
        credits_total=bought.credits_total,
        credits_used=bought.credits_used,
        credits_left=bought.credits_total - bought.credits_used,
        period_start=bought.period_start,
        period_end=bought.period_end,
        auto_renew=bought.auto_renew,
    )


@router.post("/v1/plans", status_code=status.HTTP_201_CREATED, response_model=Envelope[PlanOut])
async def create_plan(body: PlanIn, principal: Manager, session: SessionDep) -> Envelope[PlanOut]:
    """Offer a package (N sessions, paid once) or a membership (N sessions a period)."""
    return ok(plan_out(await plans.create_plan(session, principal, body)))


@router.get("/v1/practitioners/{practitioner_id}/plans", response_model=Envelope[list[PlanOut]])
async def list_plans(practitioner_id: uuid.UUID, session: SessionDep) -> Envelope[list[PlanOut]]:
    return ok([plan_out(p) for p in await plans.list_plans(session, practitioner_id)])


@router.get("/v1/plans/purchases", response_model=Envelope[list[PurchaseOut]])
async def my_purchases(
    principal: CurrentPrincipal, session: SessionDep
) -> Envelope[list[PurchaseOut]]:
    """The caller's packages and memberships, with the credits left on each."""
    return ok([purchase_out(b, p) for b, p in await plans.my_purchases(session, principal)])


@router.post("/v1/plans/purchases/{purchase_id}/cancel", response_model=Envelope[PurchaseOut])
async def cancel(
    purchase_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Envelope[PurchaseOut]:
    """Stop a membership renewing; its credits last until the period ends."""
    return ok(purchase_out(*await plans.cancel_membership(session, principal, purchase_id)))
