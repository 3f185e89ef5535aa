"""Lambda handlers: parse the event, call the engine, report batch failures."""
