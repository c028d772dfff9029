"""Accounts: users, passwords, access and refresh tokens, API keys, library grants, and the
check every API request passes (:func:`viewra.accounts.service.Accounts.authenticate`).

The module's face is :mod:`viewra.accounts.service`; storage is behind :mod:`.ports` (the DynamoDB
adapter is ``viewra.storage.accounts``). Nothing here imports boto3.
"""
