"""The catalog authority: the one signed, versioned catalog of matters."""
