"""lightsail"""
