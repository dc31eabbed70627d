"""beanstalk"""
