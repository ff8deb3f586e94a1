from scripts.provider_sim.server import main

raise SystemExit(main())
