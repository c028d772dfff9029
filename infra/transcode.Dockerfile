# The transcode function as a Lambda container image: Debian's ffmpeg (the same build the tests
# use), Python 3.12, the AWS Lambda runtime interface client, and the function's build dir
# (build/package/transcode/, made by `make package`, is the build context).
#
#   docker build -t viewra-transcode build/package/transcode
#
# Why an image: the ffmpeg layer (layers/ffmpeg/build.sh) is 247 MB unzipped, and Lambda's
# 250 MB limit counts the function's code and every layer together; an image may be 10 GB.
FROM python:3.12-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /var/task
COPY requirements.txt ./
RUN pip install --no-cache-dir awslambdaric==4.2.2 chalice==1.34.0 -r requirements.txt

COPY app.py ./
COPY chalicelib/ chalicelib/
COPY vendor/ ./

ENTRYPOINT ["python", "-m", "awslambdaric"]
CMD ["app.handle_transcode_queue"]
