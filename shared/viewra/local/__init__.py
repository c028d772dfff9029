"""The local stack: the embedded emulator, the API server and the queue workers that stand in
for API Gateway and Lambda's SQS event source on one machine."""
