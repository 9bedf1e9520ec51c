"""Pipelines and stages of the fake HubSpot portal (deals and custom objects).

Deals start with HubSpot's ``default`` sales pipeline. Stored in the ``Pipeline`` answer
shape; stage ids are what records carry in ``dealstage`` / ``hs_pipeline_stage``.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.sandbox.store import Store, iso_hubspot

__all__ = ["HubSpotPipelines", "PipelineError"]

_DEFAULT_DEAL_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
    ("contractsent", "Contract Sent", "0.9"),
    ("closedwon", "Closed Won", "1.0"),
    ("closedlost", "Closed Lost", "0.0"),
)


class PipelineError(Exception):
    """An invalid pipeline request; ``status`` and ``category`` shape HubSpot's answer."""

    def __init__(self, status: int, category: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message


class HubSpotPipelines:
    def __init__(self, store: Store) -> None:
        self._store = store
        if store.query_one("SELECT 1 FROM hs_pipelines WHERE id = 'default'") is None:
            now = store.clock.now_ms()
            stages = [
                self._stage(
                    stage_id,
                    label,
                    order,
                    {
                        "isClosed": str(stage_id.startswith("closed")).lower(),
                        "probability": probability,
                    },
                    now,
                )
                for order, (stage_id, label, probability) in enumerate(_DEFAULT_DEAL_STAGES)
            ]
            self._save("0-3", self._pipeline("default", "Sales Pipeline", 0, stages, now))

    @staticmethod
    def _stage(
        stage_id: str, label: str, order: int, metadata: dict[str, str], now: int
    ) -> dict[str, Any]:
        return {
            "id": stage_id,
            "label": label,
            "displayOrder": order,
            "metadata": metadata,
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            "createdAt": iso_hubspot(now),
            "updatedAt": iso_hubspot(now),
        }

    @staticmethod
    def _pipeline(
        pipeline_id: str, label: str, order: int, stages: list[dict[str, Any]], now: int
    ) -> dict[str, Any]:
        return {
            "id": pipeline_id,
            "label": label,
            "displayOrder": order,
            "stages": stages,
            "archived": False,
            "createdAt": iso_hubspot(now),
            "updatedAt": iso_hubspot(now),
        }

    def _save(self, type_id: str, pipeline: dict[str, Any]) -> None:
        self._store.execute(
            "INSERT INTO hs_pipelines (id, type_id, spec) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET spec = excluded.spec",
            (pipeline["id"], type_id, json.dumps(pipeline)),
        )

    def all(self, type_id: str) -> list[dict[str, Any]]:
        rows = self._store.query(
            "SELECT spec FROM hs_pipelines WHERE type_id = ? ORDER BY rowid", (type_id,)
        )
        return [json.loads(row["spec"]) for row in rows]

    def get(self, type_id: str, pipeline_id: str) -> dict[str, Any] | None:
        row = self._store.query_one(
            "SELECT spec FROM hs_pipelines WHERE type_id = ? AND id = ?", (type_id, pipeline_id)
        )
        return None if row is None else dict(json.loads(row["spec"]))

    def _new_stages(self, type_id: str, inputs: Any) -> list[dict[str, Any]]:
        if not isinstance(inputs, list) or not inputs:
            raise PipelineError(400, "VALIDATION_ERROR", "A pipeline needs at least one stage")
        now = self._store.clock.now_ms()
        stages = []
        for position, item in enumerate(inputs):
            if not isinstance(item, dict) or not item.get("label"):
                raise PipelineError(400, "VALIDATION_ERROR", "Every stage needs a label")
            metadata = {str(k): str(v) for k, v in (item.get("metadata") or {}).items()}
            if type_id == "0-3" and "probability" not in metadata:
                raise PipelineError(
                    400, "VALIDATION_ERROR", "Deal stages require metadata.probability"
                )
            stage_id = str(self._store.next_value("hs.stage", start=100_000_001))
            stages.append(
                self._stage(
                    stage_id,
                    str(item["label"]),
                    int(item.get("displayOrder", position)),
                    metadata,
                    now,
                )
            )
        return stages

    def create(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        label = str(body.get("label") or "")
        if not label:
            raise PipelineError(400, "VALIDATION_ERROR", "A pipeline needs a label")
        if any(p["label"] == label for p in self.all(type_id)):
            raise PipelineError(
                409, "OBJECT_ALREADY_EXISTS", f"A pipeline with label {label} already exists"
            )
        pipeline_id = str(self._store.next_value("hs.pipeline", start=10_000_001))
        stages = self._new_stages(type_id, body.get("stages"))
        pipeline = self._pipeline(
            pipeline_id, label, int(body.get("displayOrder", 0)), stages, self._store.clock.now_ms()
        )
        self._save(type_id, pipeline)
        return pipeline

    def update(
        self, type_id: str, pipeline_id: str, body: dict[str, Any], replace: bool
    ) -> dict[str, Any]:
        pipeline = self.get(type_id, pipeline_id)
        if pipeline is None:
            raise PipelineError(404, "OBJECT_NOT_FOUND", f"Unable to find pipeline {pipeline_id}")
        for key in ("label", "displayOrder", "archived"):
            if key in body and body[key] is not None:
                pipeline[key] = body[key]
        if replace:
            pipeline["stages"] = self._new_stages(type_id, body.get("stages"))
        pipeline["updatedAt"] = iso_hubspot(self._store.clock.now_ms())
        self._save(type_id, pipeline)
        return pipeline

    def add_stage(self, type_id: str, pipeline_id: str, body: dict[str, Any]) -> dict[str, Any]:
        pipeline = self.get(type_id, pipeline_id)
        if pipeline is None:
            raise PipelineError(404, "OBJECT_NOT_FOUND", f"Unable to find pipeline {pipeline_id}")
        (stage,) = self._new_stages(type_id, [body])
        pipeline["stages"].append(stage)
        self._save(type_id, pipeline)
        return stage

    def stage_ids(self, type_id: str, pipeline_id: str | None) -> set[str]:
        """Stage ids of one pipeline, or of all the type's pipelines."""
        pipelines = self.all(type_id) if pipeline_id is None else [self.get(type_id, pipeline_id)]
        return {stage["id"] for p in pipelines if p for stage in p["stages"]}
