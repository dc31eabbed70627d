"""Purchase-order API: the Lambda handlers behind the HTTP API, the upload import and the scheduled jobs.

The package is deployed as it is: standard library plus boto3, which every Python Lambda runtime provides.
"""
