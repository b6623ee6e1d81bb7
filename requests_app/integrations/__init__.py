"""What the owner's download side uses: the JSON API and its keys, signed webhooks, verifiable
licence tokens and Hugging Face gated repositories. The portal itself never depends on this package:
it learns of state changes by listening to RequestEvent creation (signals.py)."""
