"""gongyi's Chalice app: wiring only (routes, middleware, Lambda functions).

Routes are registered from a generated index and their modules load on first request
(``chalicelib.blueprints``): keep this module's imports light, it is every cold start.
"""

from chalice import Chalice, ConvertToMiddleware, CORSConfig

from chalicelib.blueprints import register_routes
from chalicelib.bootstrap import bootstrap
from chalicelib.functions import register_functions
from chalicelib.observability import get_tracer, logger, metrics, tracing_enabled

settings = bootstrap()
app = Chalice(app_name="gongyi")
# Browsers send Authorization and Idempotency-Key (every donation) cross-origin; bearer tokens, no cookies.
app.api.cors = CORSConfig(
    allow_origin="*",
    allow_headers=["Idempotency-Key"],
    max_age=600,
)

app.register_middleware(
    ConvertToMiddleware(logger.inject_lambda_context(correlation_id_path="requestContext.requestId"))
)
if tracing_enabled():
    app.register_middleware(ConvertToMiddleware(get_tracer().capture_lambda_handler))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))

register_routes(app)

register_functions(app, settings)
