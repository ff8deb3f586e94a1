"""Stream handlers that keep search fresh; ``register(app, settings)`` attaches them.

Each is its own Lambda function; the API function only imports this light module.
Locally the stream ARNs are placeholders the pump resolves by table name;
deployed, infra/search.yaml points the event source mappings at the tables'
real stream ARNs.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from chalicelib.config import Settings

PROJECTS_HANDLER = "search_index_projects"
DONATIONS_HANDLER = "search_refresh_raised"


def stream_arn(settings: Settings, table_suffix: str) -> str:
    table = settings.table_name(table_suffix)
    return f"arn:aws:dynamodb:{settings.aws_region}:123456789012:table/{table}/stream/local"


def register(app: Chalice, settings: Settings) -> None:
    @app.on_dynamodb_record(
        stream_arn=stream_arn(settings, "projects"),
        batch_size=100,
        starting_position="TRIM_HORIZON",
        name=PROJECTS_HANDLER,
    )
    def index_projects(event: Any) -> dict[str, Any]:
        """Upsert/remove each changed project; a failing record is retried alone."""
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

        from chalicelib.logic.search.indexer import apply_project_record
        from chalicelib.logic.search.service import index_for

        index = index_for(settings)
        processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
        return dict(
            process_partial_response(
                event=event.to_dict(),
                record_handler=lambda record: apply_project_record(index, record.raw_event),
                processor=processor,
            )
        )

    @app.on_dynamodb_record(
        stream_arn=stream_arn(settings, "donations"), batch_size=500, starting_position="LATEST", name=DONATIONS_HANDLER
    )
    def refresh_raised(event: Any) -> None:
        """Re-read the totals of the projects whose donations were paid or refunded (once each)."""
        from chalicelib.logic.search.indexer import projects_with_new_totals
        from chalicelib.logic.search.service import index_for

        index = index_for(settings)
        for project_id in projects_with_new_totals(event.to_dict().get("Records", [])):
            index.refresh_raised(project_id)
