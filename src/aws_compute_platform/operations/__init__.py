"""Operations: the alert topic every alarm notifies, alarms per component, and one dashboard per stack."""
