"""gongyi's Chalice app: wiring only (blueprints, middleware, Lambda functions)."""

from chalice import Chalice, ConvertToMiddleware

from chalicelib.blueprints import BLUEPRINTS
from chalicelib.bootstrap import bootstrap
from chalicelib.functions import register_functions
from chalicelib.observability import logger, metrics, tracer

settings = bootstrap()
app = Chalice(app_name="gongyi")
app.api.cors = True

app.register_middleware(
    ConvertToMiddleware(logger.inject_lambda_context(correlation_id_path="requestContext.requestId"))
)
app.register_middleware(ConvertToMiddleware(tracer.capture_lambda_handler))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))

for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint)

register_functions(app, settings)
