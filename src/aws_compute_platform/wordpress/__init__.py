"""wordpress"""
