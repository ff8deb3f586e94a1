"""A local payment-provider simulator: WeChat Pay API v3 and Alipay's open gateway.

gongyi's code cannot tell it from the real providers except by its base URL:
requests are verified as the providers verify them (WeChat's
``WECHATPAY2-SHA256-RSA2048`` merchant signature, Alipay's RSA2 ``sign``),
responses are signed with the simulator's platform keys, notifications are
encrypted (WeChat, AEAD_AES_256_GCM with the APIv3 key) or signed (Alipay) and
retried on the providers' schedules, time-compressed.

    python -m scripts.provider_sim --port 5077 [--time-scale 0.01]

Beside the providers' endpoints it serves, for people and tests only:

- ``GET /__sim/pay/<out_trade_no>``: a minimal cashier page; ``POST /__sim/pay``
  (``{"out_trade_no": ...}`` or ``{"order_string": ...}`` for Alipay) pays an order;
- ``POST /__sim/faults``: fault injection (see ``state.Faults``); ``POST /__sim/reset``;
- ``GET /__sim/orders/<out_trade_no>``: what the simulator knows of an order;
- ``GET /__sim/deliveries``: every notification attempt, for assertions.

Keys live in ``.local/provider_keys.json`` (``keys.ensure_keys``); the matching
gongyi configuration comes from ``keys.gongyi_configs``.
"""
